"""Events posted through the API move a clause's SLI and fire, then clear, an alert — with a
real Celery worker through Redis, on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from community.models import ClauseAlert, ClauseSnapshot, Community, DomainEvent
from tests.conftest import WorkerProcess, api_client_for, wait_for
from tests.contract.helpers import published_clause

pytestmark = [pytest.mark.worker]


def _batch(prefix: str, posts: int, flags: int) -> dict[str, Any]:
    at = (timezone.now() - timedelta(minutes=2)).isoformat()
    events: list[dict[str, Any]] = []
    for n in range(posts):
        pid = f"{prefix}-{n}"
        author = {"external_id": str(500 + n % 20), "username": f"grower{n % 20}"}
        space = {"external_id": "2", "name": "Growing Tips"}
        events.append(
            {
                "external_id": pid,
                "kind": "post",
                "occurred_at": at,
                "member": author,
                "space": space,
                "subject": pid,
            }
        )
        if n < flags:
            events.append(
                {
                    "external_id": f"{pid}-flag",
                    "kind": "flag_upheld",
                    "occurred_at": at,
                    "member": author,
                    "space": space,
                    "subject": pid,
                    "category": "inappropriate",
                }
            )
    return {"events": events}


def test_api_events_move_the_sli_and_fire_then_clear_an_alert(celery_worker: WorkerProcess) -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    clause = published_clause(community)
    api = api_client_for(community, "events:write", "read")

    # A flame war: 150 posts, 45 upheld flags, all learned of just now.
    response = api.post("/api/v1/events/", _batch("war", 150, 45), format="json")
    assert response.json() == {"accepted": 195, "duplicates": 0}
    fast = wait_for(
        lambda: ClauseAlert.objects.filter(clause=clause, scope="", rule="page_fast").first(),
        what="the fast page to fire",
    )
    assert (fast.bad_long, fast.total_long) == (45, 150)
    snap = ClauseSnapshot.objects.filter(clause=clause, scope="").latest("bucket")
    assert (snap.total, snap.bad, str(snap.sli)) == (150, 45, "0.700000")
    assert snap.tier == "exhausted"
    status = api.get("/api/v1/clauses/").json()[0]["status"]
    assert status["sli"] == "0.7" and status["tier"] == "exhausted"

    # Calm returns: 3000 ordinary posts dilute every window below every threshold.
    for part in range(3):
        api.post("/api/v1/events/", _batch(f"calm{part}", 1000, 0), format="json")
    wait_for(
        lambda: ClauseAlert.objects.filter(pk=fast.pk, cleared_at__isnull=False).exists(),
        timeout=30,
        what="the fast page to clear",
    )
    wait_for(
        lambda: ClauseSnapshot.objects.filter(clause=clause, scope="", total=3150).exists(),
        what="the SLI to take in all 3150 posts",
    )
    assert (
        ClauseAlert.objects.filter(clause=clause, rule="page_fast").count() == 2
    )  # community + space
    assert not ClauseAlert.objects.open().exists()
    fired = DomainEvent.objects.filter(type="clause.alert_fired", payload__rule="page_fast")
    cleared = DomainEvent.objects.filter(type="clause.alert_cleared", payload__rule="page_fast")
    assert fired.count() == 2 and cleared.count() == 2
    assert "community.evaluate_community_clauses" in celery_worker.log()
