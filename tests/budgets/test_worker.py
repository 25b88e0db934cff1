"""Budgets through a real Celery worker, the real broker (Redis) and PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from budgets import services
from budgets.models import Charge, MemberBudget, Notice, TierTransition
from budgets.recalculation import recalculate_community
from budgets.tasks import recalculate_budgets, regenerate_all
from community.models import Community, DomainEvent, Membership
from tests.conftest import WorkerProcess, api_client_for, start_worker, wait_for

pytestmark = [pytest.mark.worker]


def batch(*events: dict) -> dict:
    return {"events": list(events)}


def post(n: int, member: str = "2288") -> dict:
    at = (timezone.now() - timedelta(hours=2)).isoformat()
    return {
        "external_id": f"p-{member}-{n}",
        "kind": "post",
        "occurred_at": at,
        "member": {"external_id": member, "username": "rileyq"},
        "subject": f"p-{n}",
    }


def warning(n: int, member: str = "2288") -> dict:
    at = (timezone.now() - timedelta(hours=1)).isoformat()
    return {
        "external_id": f"w-{member}-{n}",
        "kind": "moderator_warning",
        "severity": "moderate",
        "occurred_at": at,
        "member": {"external_id": member, "username": "rileyq"},
        "subject": f"p-{n}",
    }


def test_events_through_the_api_change_budgets_and_fire_a_transition_once(
    celery_worker: WorkerProcess,
) -> None:
    community = Community.objects.create(slug="garden", name="Garden")
    api = api_client_for(community, "events:write", "read")
    assert (
        api.post("/api/v1/events/", batch(*[post(n) for n in range(5)]), format="json").status_code
        == 200
    )
    budget = wait_for(lambda: MemberBudget.objects.filter(activity=5).first(), what="a budget")
    assert (budget.tier, budget.spent) == ("healthy", 0)

    slips = batch(warning(1), warning(2))
    assert api.post("/api/v1/events/", slips, format="json").json()["accepted"] == 2
    wait_for(lambda: MemberBudget.objects.filter(tier="warning").exists(), what="the warning tier")
    # Retries and repeats: the batch again, and the task sent again by hand.
    assert api.post("/api/v1/events/", slips, format="json").json()["duplicates"] == 2
    recalculate_budgets.delay(community.pk)
    assert api.post("/api/v1/events/", batch(post(99)), format="json").status_code == 200
    wait_for(lambda: MemberBudget.objects.filter(activity=6).exists(), what="the new post")
    wait_for(
        lambda: not DomainEvent.objects.filter(dispatched_at__isnull=True).exists(),
        timeout=60,
        what="the outbox to drain",
    )
    transition = TierTransition.objects.get()
    assert (transition.from_tier, transition.to_tier) == ("healthy", "warning")
    assert transition.actions == ["private_nudge"]
    assert Notice.objects.count() == 1
    assert DomainEvent.objects.filter(type="budget.tier_changed").count() == 1
    response = api.get("/api/v1/members/", {"source": "api", "external_id": "2288"})
    assert response.json()["results"][0]["budget"]["tier"] == "warning"
    assert "budgets.recalculate" in celery_worker.log()


MEMBERS = 2000


def test_a_worker_killed_half_way_leaves_whole_snapshots_and_the_next_run_converges(
    transactional_db: None, tmp_path: Path
) -> None:
    from config.celery import app as celery_app

    community = Community.objects.create(slug="garden", name="Garden")
    services.get_policy(community=community)
    members = Membership.objects.bulk_create(
        Membership(community=community, display_name=f"m{n}") for n in range(MEMBERS)
    )
    Charge.objects.bulk_create(
        Charge(
            community=community,
            membership=m,
            kind="moderator_warning",
            severity="moderate",
            cost=3,
            reason="r",
            occurred_at=timezone.now() - timedelta(days=2),
        )
        for m in members
    )
    recalculate_community(community=community)  # policy v1: 7 of 10 left, healthy
    assert set(MemberBudget.objects.values_list("tier", flat=True)) == {"healthy"}

    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    small_chunks = {"BUDGETS_RECALC_CHUNK_SIZE": "20"}
    worker = start_worker(tmp_path, concurrency=1, extra_env=small_chunks)
    try:
        # Policy v2 (floor 4): every budget becomes 1 of 4 left, warning.
        services.update_policy(community=community, changes={"floor_points": "4"}, by=None)
        wait_for(
            lambda: MemberBudget.objects.filter(policy_version=2).exists(),
            interval=0.02,
            what="the first chunk",
        )
        worker.kill()
    finally:
        if worker.process.poll() is None:
            worker.kill()
    new = MemberBudget.objects.filter(policy_version=2).count()
    assert 0 < new < MEMBERS, "the worker should have been killed half-way"
    shapes = set(
        MemberBudget.objects.values_list("policy_version", "allowance", "remaining", "tier")
    )
    assert shapes <= {(1, 10, 7, "healthy"), (2, 4, 1, "warning")}  # old or new, never mixed
    assert TierTransition.objects.count() == new  # a transition only with its snapshot

    worker = start_worker(tmp_path, concurrency=2)
    try:
        regenerate_all.delay()  # what the scheduler sends every few minutes
        wait_for(
            lambda: MemberBudget.objects.filter(policy_version=2).count() == MEMBERS,
            timeout=60,
            what="the next run to converge",
        )
        time.sleep(0.5)
    finally:
        worker.process.terminate()
        worker.process.wait(timeout=15)
        celery_app.control.purge()
    assert TierTransition.objects.count() == MEMBERS
    assert TierTransition.objects.filter(to_tier="warning", sequence=1).count() == MEMBERS
