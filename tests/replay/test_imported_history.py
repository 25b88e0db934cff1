"""Imported history never pages anyone now (docs/replay.md): a flame war sent through the batch
API with ``recorded_at`` half an hour before its receipt lands inside the live alert windows,
yet the real evaluation path fires no alert, and so no email, notice, incident or forum action;
the same events sent as they happen do. The clause's SLI counts them, and a replay finds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from rest_framework.test import APIClient

from community.contract.evaluation import evaluate_community
from community.contract.replay.imported import is_imported_history
from community.contract.replay.models import ImportedEvent, ReplayStatus
from community.contract.replay.services import request_replay
from community.domain_events import dispatch_pending
from community.models import (
    ClauseAlert,
    ClauseSnapshot,
    Community,
    DomainEvent,
    Notification,
)
from incidents.models import Incident
from tests.contract.helpers import published_clause

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WAR_START = NOW - timedelta(minutes=45)

pytestmark = pytest.mark.django_db(transaction=True)


def _flame_war(*, backdated: bool) -> list[dict[str, Any]]:
    """150 posts and 45 upheld flags over half an hour in one space, ending a quarter of an hour
    ago: with ``backdated`` each carries its ``recorded_at`` (a flag upheld two minutes after
    its post), without it they arrive as news now."""
    items: list[dict[str, Any]] = []
    for n in range(150):
        at = WAR_START + timedelta(seconds=12 * n)
        post: dict[str, Any] = {
            "external_id": f"war-post-{n}",
            "kind": "post",
            "occurred_at": at.isoformat(),
            "member": {"external_id": str(100 + n % 9)},
            "space": {"external_id": "7", "name": "Lounge"},
            "subject": f"war-post-{n}",
        }
        if backdated:
            post["recorded_at"] = at.isoformat()
        items.append(post)
        if n % 10 < 3:
            flag = {
                **post,
                "external_id": f"war-flag-{n}",
                "kind": "flag_upheld",
                "category": "inappropriate",
            }
            if backdated:
                flag["recorded_at"] = (at + timedelta(minutes=2)).isoformat()
            items.append(flag)
    return items


def _send_and_evaluate(community: Community, api: APIClient, *, backdated: bool) -> None:
    published_clause(community, at=NOW - timedelta(days=2))
    mail.outbox.clear()
    with time_machine.travel(NOW, tick=False):
        response = api.post(
            "/api/v1/events/", {"events": _flame_war(backdated=backdated)}, format="json"
        )
        assert response.status_code == 200, response.content
        evaluate_community(community=community, now=NOW)
        dispatch_pending()


def test_a_backdated_flame_war_inside_the_alert_windows_pages_no_one(
    community: Community, api: APIClient, moderator: Any
) -> None:
    _send_and_evaluate(community, api, backdated=True)
    assert ImportedEvent.objects.count() == 195
    assert not ClauseAlert.objects.exists()
    assert not DomainEvent.objects.filter(type="clause.alert_fired").exists()
    assert not Incident.objects.exists()
    # No notice for moderators (the members' own budgets do count the charges: see the docs).
    assert not Notification.objects.filter(recipient__user=moderator).exists()
    assert not [m for m in mail.outbox if moderator.email in m.to]
    # It happened: the clause's SLI counts it.
    snapshot = ClauseSnapshot.objects.filter(scope="").latest("computed_at")
    assert snapshot.bad == 45


def test_the_same_flame_war_sent_as_news_pages_the_moderators(
    community: Community, api: APIClient, moderator: Any
) -> None:
    _send_and_evaluate(community, api, backdated=False)
    assert not ImportedEvent.objects.exists()
    assert ClauseAlert.objects.filter(rule="page_fast", scope="").exists()
    assert DomainEvent.objects.filter(type="clause.alert_fired").exists()
    assert Incident.objects.exists()
    assert [m for m in mail.outbox if moderator.email in m.to]


def test_a_replay_of_the_imported_history_finds_the_alerts_it_would_have_fired(
    community: Community, api: APIClient
) -> None:
    _send_and_evaluate(community, api, backdated=True)
    clause = community.clauses.get()
    with time_machine.travel(NOW, tick=False):
        replay = request_replay(
            community=community,
            definition=clause.published_definition(),
            start=NOW - timedelta(hours=2),
            end=NOW,
            clause=clause,
        )
    replay.refresh_from_db()  # run by the (eager) task after commit
    assert replay.status == ReplayStatus.DONE
    results = replay.results
    assert {a["rule"] for a in results["alerts"]} >= {"page_fast"}
    assert results["live_alerts"] == []


@pytest.mark.parametrize(
    ("late", "imported"),
    [
        (timedelta(0), False),
        (timedelta(minutes=10), False),
        (timedelta(minutes=10, seconds=1), True),
    ],
)
def test_an_event_is_imported_history_when_received_over_ten_minutes_after_its_record(
    late: timedelta, imported: bool
) -> None:
    assert is_imported_history(recorded_at=NOW, received_at=NOW + late) is imported


def test_notes_no_alert_window_can_reach_are_forgotten_at_the_next_import(
    community: Community, api: APIClient
) -> None:
    old = {
        "external_id": "old-post",
        "kind": "post",
        "occurred_at": "2025-11-01T10:00:00Z",
        "recorded_at": "2025-11-01T10:00:00Z",
        "member": {"external_id": "7"},
    }
    with time_machine.travel(datetime(2025, 11, 2, tzinfo=UTC), tick=False):
        assert api.post("/api/v1/events/", {"events": [old]}, format="json").status_code == 200
    assert ImportedEvent.objects.count() == 1
    with time_machine.travel(NOW, tick=False):
        response = api.post(
            "/api/v1/events/", {"events": _flame_war(backdated=True)[:2]}, format="json"
        )
        assert response.status_code == 200
    assert set(ImportedEvent.objects.values_list("event__external_id", flat=True)) == {
        "war-post-0",
        "war-flag-0",
    }
