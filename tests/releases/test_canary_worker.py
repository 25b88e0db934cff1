"""A burst in the trial space, posted through the API, makes the gate fail and the trial rolls
back by itself — with a real Celery worker through Redis, on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from community.contract.releases.canary import start_canary
from community.contract.releases.models import Canary, CanaryStatus
from community.models import AuditEntry, Community, Notification, Role
from community.services import set_role
from tests.conftest import WorkerProcess, api_client_for, make_user, wait_for
from tests.releases.helpers import ready_for_trial

pytestmark = [pytest.mark.worker]


def _burst(posts: int, flags: int) -> dict[str, Any]:
    at = (timezone.now() - timedelta(minutes=1)).isoformat()
    events: list[dict[str, Any]] = []
    for n in range(posts):
        pid = f"burst-{n}"
        base = {
            "occurred_at": at,
            "space": {"external_id": "2", "name": "Space 2"},
            "subject": pid,
            "member": {"external_id": str(700 + n % 9), "username": f"grower{n % 9}"},
        }
        events.append({**base, "external_id": pid, "kind": "post"})
        if n < flags:
            events.append(
                {
                    **base,
                    "external_id": f"{pid}-f",
                    "kind": "flag_upheld",
                    "category": "inappropriate",
                }
            )
    return {"events": events}


def test_a_burst_in_the_trial_space_rolls_the_trial_back_by_itself(
    celery_worker: WorkerProcess,
) -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    set_role(community=community, user=make_user("mona_moderator"), role=Role.MODERATOR)
    _, trial, _ = ready_for_trial(community)
    canary = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=48, summary="Stricter", by=None
    )
    api = api_client_for(community, "events:write")
    assert api.post("/api/v1/events/", _burst(40, 12), format="json").status_code in (200, 201, 202)
    wait_for(
        lambda: Canary.objects.filter(pk=canary.pk, status=CanaryStatus.ROLLED_BACK).exists(),
        timeout=60,
        what="the trial to roll back",
    )
    canary.refresh_from_db()
    assert "The gate failed" in canary.outcome
    assert AuditEntry.objects.filter(action="releases:canary-rollback").count() == 1
    assert Notification.objects.filter(kind="release_rolled_back").exists()
