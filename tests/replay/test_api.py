"""The replays API: 202 with the replay's URL, the results once it ran, 400 naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from community.contract.replay.models import Replay, ReplayStatus
from community.models import Community
from tests.contract.helpers import posts_and_flags, published_clause

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CLAUSE: dict[str, Any] = {
    "title": "Disagree without hostility",
    "wording": "Argue with ideas, not with people.",
    "total_kinds": ["post"],
    "bad_kinds": ["flag_upheld"],
    "target": "0.990000",
}

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_draft_clause_is_replayed_and_its_alerts_are_read_back(
    community: Community, api: APIClient
) -> None:
    posts_and_flags(community, posts=150, flags=45, at=NOW - timedelta(hours=3, seconds=30))
    with time_machine.travel(NOW, tick=False):
        response = api.post(
            "/api/v1/replays/",
            {"clause": CLAUSE, "from": (NOW - timedelta(days=1)).isoformat()},
            format="json",
        )
        assert response.status_code == 202, response.content
        assert response["Location"] == response.json()["url"]
        body = api.get(response["Location"]).json()
    assert (body["status"], body["progress"]) == ("done", 100)
    assert body["events"] == 195
    fired = {(a["rule"], a["scope"], a["fired_at"]) for a in body["alerts"]}
    assert ("page_fast", "", "2026-11-20T09:00:00+00:00") in fired
    assert body["live_alerts"] is None


def test_an_existing_clause_is_replayed_beside_what_the_live_path_recorded(
    community: Community, api: APIClient
) -> None:
    clause = published_clause(community, at=NOW - timedelta(days=2))
    with time_machine.travel(NOW, tick=False):
        response = api.post("/api/v1/replays/", {"clause_id": clause.pk}, format="json")
    assert response.status_code == 202
    body = api.get(response["Location"]).json()
    assert (body["status"], body["events"], body["alerts"], body["live_alerts"]) == (
        "done",
        0,
        [],
        [],
    )
    assert api.delete(response["Location"]).status_code == 204
    assert api.get(response["Location"]).status_code == 404
    assert Replay.objects.get().status == ReplayStatus.DISMISSED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"clause": {**CLAUSE, "target": "1.000000"}}, "clause.target"),
        ({"clause": {**CLAUSE, "bad_kinds": []}}, "clause.bad_kinds"),
        ({"clause": {k: v for k, v in CLAUSE.items() if k != "title"}}, "clause.title"),
        ({}, "clause"),
        ({"clause": CLAUSE, "clause_id": 1}, "clause"),
        ({"clause": CLAUSE, "to": "2999-01-01T00:00:00Z"}, "to"),
        ({"clause": CLAUSE, "from": "2026-11-20T12:00:00Z", "to": "2026-11-19T00:00:00Z"}, "from"),
        ({"clause": CLAUSE, "from": "yesterday"}, "from"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_kept(
    community: Community, api: APIClient, body: dict[str, Any], field: str
) -> None:
    response = api.post("/api/v1/replays/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Replay.objects.exists()


def test_a_clause_of_another_community_is_refused_naming_the_field(
    community: Community, other_community: Community, api: APIClient
) -> None:
    clause = published_clause(other_community)
    response = api.post("/api/v1/replays/", {"clause_id": clause.pk}, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["clause_id"]
    assert not Replay.objects.exists()
