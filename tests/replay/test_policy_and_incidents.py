"""A draft budget policy replayed beside the live one (members by tier and by cohort, the
members and charges that differ), the incidents the replayed alerts would have opened beside
the live path's, a runbook's automated steps on them, the clause's standing at the end, and
the refusals (400 naming the field, 403 without the scope, nothing kept)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from community.contract.replay.models import Replay
from community.models import Community, Membership
from community.services import EventInput, ingest_events
from incidents.models import AlertResponse, IncidentSettings, Runbook, RunbookStep
from tests.conftest import api_client_for
from tests.contract.helpers import posts_and_flags, published_clause

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STRICTER = {"costs": {"flag_upheld": {"minor": "1", "moderate": "6", "severe": "8"}}}
CLAUSE: dict[str, Any] = {
    "title": "Disagree without hostility",
    "wording": "Argue with ideas, not with people.",
    "total_kinds": ["post"],
    "bad_kinds": ["flag_upheld"],
    "target": "0.990000",
}

pytestmark = pytest.mark.django_db(transaction=True)


def _members(community: Community) -> None:
    """Six newcomers with 200 posts each over the last ten days; ``m1`` and ``m2`` have one
    moderate upheld flag (3 points of 10 live: healthy; 6 under the stricter draft: warning),
    ``m3`` one flag recorded after the period ends (it does not count)."""
    items = []
    for m in range(6):
        for n in range(200):
            at = NOW - timedelta(days=10) + timedelta(minutes=60 * n)
            items.append(
                EventInput(
                    external_id=f"m{m}-post-{n}",
                    kind="post",
                    occurred_at=at,
                    member_external_id=f"m{m}",
                    member_username=f"member{m}",
                    subject=f"m{m}-post-{n}",
                    recorded_at=at,
                )
            )
    for m, recorded in ((1, NOW - timedelta(days=2)), (2, NOW - timedelta(days=1))):
        items.append(
            EventInput(
                external_id=f"m{m}-flag",
                kind="flag_upheld",
                occurred_at=NOW - timedelta(days=3),
                member_external_id=f"m{m}",
                subject=f"m{m}-post-3",
                category="inappropriate",
                severity="moderate",
                recorded_at=recorded,
            )
        )
    ingest_events(community=community, events=items)


def _ask(api: APIClient, body: dict[str, Any]) -> dict[str, Any]:
    with time_machine.travel(NOW, tick=False):
        response = api.post("/api/v1/replays/", body, format="json")
        assert response.status_code == 202, response.content
        result: dict[str, Any] = api.get(response["Location"]).json()
    assert result["status"] == "done"
    return result


def test_a_draft_policy_shows_the_members_and_charges_that_would_differ(
    community: Community, api: APIClient
) -> None:
    _members(community)
    body = _ask(api, {"policy": STRICTER})
    members = body["members"]
    assert members["count"] == 6
    tiers = ("healthy", "warning", "critical", "exhausted")
    assert members["by_tier"]["live"] == dict(zip(tiers, (6, 0, 0, 0), strict=True))
    assert members["by_tier"]["draft"] == dict(zip(tiers, (4, 2, 0, 0), strict=True))
    newcomers = members["by_cohort"]["newcomers"]
    assert (newcomers["members"], newcomers["changed"]) == (6, 2)
    assert members["by_cohort"]["regulars"] is None  # no one: fewer than five show nothing
    assert members["changed_count"] == 2
    names = {
        m.identities.get().external_id: m.display_name
        for m in Membership.objects.filter(community=community)
    }
    assert [(m["name"], m["live_tier"], m["draft_tier"]) for m in members["changed"]] == [
        (names["m1"], "healthy", "warning"),
        (names["m2"], "healthy", "warning"),
    ]
    assert (members["changed"][0]["live_remaining"], members["changed"][0]["draft_remaining"]) == (
        "7.0000",
        "4.0000",
    )
    assert body["charges"]["differ"] == 2
    assert {(c["live_cost"], c["draft_cost"]) for c in body["charges"]["rows"]} == {("3.00", "6")}
    assert body["alerts"] == [] and body["standing"] is None


def test_a_draft_policy_is_also_compared_over_the_whole_period(
    community: Community, api: APIClient
) -> None:
    _members(community)
    body = _ask(api, {"policy": STRICTER})
    period = body["members"]["period"]
    assert datetime.fromisoformat(period["from"]) == datetime.fromisoformat(body["from"])
    assert period["members"] == 6
    tiers = ("healthy", "warning", "critical", "exhausted")
    assert period["worst"]["live"] == dict(zip(tiers, (6, 0, 0, 0), strict=True))
    assert period["worst"]["draft"] == dict(zip(tiers, (4, 2, 0, 0), strict=True))
    assert period["entered"]["live"] == dict.fromkeys(tiers, 0)
    assert period["entered"]["draft"] == dict(zip(tiers, (0, 2, 0, 0), strict=True))
    names = {
        m.identities.get().external_id: m.display_name
        for m in Membership.objects.filter(community=community)
    }
    assert period["differ_count"] == 2
    assert [
        (m["name"], m["live_worst"], m["draft_worst"], m["live_entered"], m["draft_entered"])
        for m in period["differ"]
    ] == [
        (names["m1"], "healthy", "warning", [], ["warning"]),
        (names["m2"], "healthy", "warning", [], ["warning"]),
    ]


def test_only_what_was_known_at_the_end_counts(community: Community, api: APIClient) -> None:
    _members(community)
    body = _ask(api, {"policy": STRICTER, "to": (NOW - timedelta(hours=36)).isoformat()})
    # m2's flag was recorded a day before NOW: after this period's end.
    assert len(body["members"]["changed"]) == 1
    assert body["members"]["changed"][0]["name"].endswith("m1")


def test_a_window_change_is_replayed_by_the_same_math(community: Community, api: APIClient) -> None:
    _members(community)
    body = _ask(api, {"policy": {"window_days": 2}})
    # In two days each member has 48 posts: allowance the floor (10); the flags, 3 days old,
    # leave the window, so the charges no longer count and no tier changes.
    assert body["members"]["changed_count"] == 0
    assert body["charges"]["differ"] == 2
    assert {c["draft_cost"] for c in body["charges"]["rows"]} == {None}


def _war(community: Community) -> None:
    posts_and_flags(community, posts=150, flags=45, at=NOW - timedelta(hours=3, seconds=30))


def _runbook(community: Community) -> Runbook:
    runbook = Runbook.objects.create(community=community, name="Runbook A")
    RunbookStep.objects.create(runbook=runbook, position=1, title="Check in", kind="checklist")
    RunbookStep.objects.create(
        runbook=runbook, position=2, title="Post a calm notice", kind="post_notice"
    )
    RunbookStep.objects.create(
        runbook=runbook,
        position=3,
        title="Slow the topic",
        kind="start_cooldown",
        only_space_kinds=["topic"],
    )
    return runbook


def test_the_alerts_open_incidents_by_the_live_rule_and_the_runbook_s_steps_are_tried(
    community: Community, api: APIClient
) -> None:
    clause = published_clause(community, at=NOW - timedelta(days=2))
    _war(community)
    runbook = _runbook(community)
    IncidentSettings.objects.create(community=community, auto_runbook=runbook)
    body = _ask(api, {"clause_id": clause.pk, "runbook_id": runbook.pk})
    replayed = body["incidents"]["replayed"]
    assert replayed, body["alerts"]
    scopes = {a["scope"] for a in body["alerts"]}
    assert scopes == {"", str(community.spaces.get().pk)}
    by_outcome = {(r["scope"] != "", r["outcome"]) for r in replayed}
    # Community-wide alerts are suggested; the first on the space opens an incident, the later
    # ones on the same space, while it is still firing, join it.
    assert (False, "suggest") in by_outcome and (True, "declare") in by_outcome
    declared = [r for r in replayed if r["outcome"] == "declare"]
    assert declared[0]["runbook"] == {
        "starts_by_itself": True,
        "steps": [
            {"position": 2, "title": "Post a calm notice", "runs": True},
            {"position": 3, "title": "Slow the topic", "runs": False},
        ],
    }
    # The live path did nothing: the events were stored, never evaluated live.
    assert body["incidents"]["live"] == {"declared": [], "suggested": [], "runbook_runs": []}
    assert body["incidents"]["runbook"] == "Runbook A"
    standing = body["standing"]
    assert standing["replayed"] == standing["live"]
    assert (standing["replayed"]["bad"], standing["replayed"]["total"]) == (45, 150)
    assert standing["replayed"]["tier"] == "exhausted"


def test_a_community_taking_alerts_as_suggestions_would_only_have_been_asked(
    community: Community, api: APIClient
) -> None:
    _war(community)
    IncidentSettings.objects.create(community=community, alert_response=AlertResponse.SUGGEST)
    body = _ask(api, {"clause": CLAUSE})
    assert {r["outcome"] for r in body["incidents"]["replayed"]} == {"suggest"}
    assert body["standing"]["live"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"policy": {"window_days": 0}}, "policy.window_days"),
        ({"policy": {"member_target": "1.5"}}, "policy.member_target"),
        ({"policy": {"costs": {"flag_upheld": {"minor": "1"}}}}, "policy.costs"),
        ({"policy": {"kindness": 3}}, "policy.kindness"),
        ({"policy": {}}, "policy"),
        ({"policy": STRICTER, "runbook_id": 1}, "runbook_id"),
        ({"clause": CLAUSE, "runbook_id": 999999}, "runbook_id"),
        ({"clause_id": 999999}, "clause_id"),
        ({"clause": CLAUSE, "to": "2026-01-01T00:00:00Z"}, "to"),
        ({"clause": CLAUSE, "from": "2025-10-01T00:00:00Z"}, "from"),
        ({"clause": CLAUSE, "from": "2026-11-20T11:00:00Z", "to": "2026-11-20T11:00:00Z"}, "from"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_kept(
    community: Community, api: APIClient, body: dict[str, Any], field: str
) -> None:
    _war(community)  # history from 09:00 on 20 November
    with time_machine.travel(NOW, tick=False):
        response = api.post("/api/v1/replays/", body, format="json")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not Replay.objects.exists()


def test_a_period_before_the_stored_history_says_when_history_starts(
    community: Community, api: APIClient
) -> None:
    _war(community)
    with time_machine.travel(NOW, tick=False):
        response = api.post(
            "/api/v1/replays/",
            {"clause": CLAUSE, "from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"},
            format="json",
        )
    assert response.status_code == 400
    assert "20 Nov 2026, 08:59" in response.json()["errors"][0]["message"]


def test_a_key_without_the_moderate_scope_cannot_ask_for_a_replay(community: Community) -> None:
    _war(community)
    client = api_client_for(community, "read")
    with time_machine.travel(NOW, tick=False):
        response = client.post("/api/v1/replays/", {"policy": STRICTER}, format="json")
    assert response.status_code == 403
    assert not Replay.objects.exists()
