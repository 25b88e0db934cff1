"""With a real Celery worker through Redis: a cooldown ends by itself on time, and a runbook's
automated steps run in the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Community, DomainEvent, Membership, Role, Space
from incidents import services
from incidents.models import Cooldown, StepRun
from incidents.starter_runbooks import RUNBOOK_A, install_starter_runbooks
from tests.conftest import WorkerProcess, make_user, wait_for

pytestmark = [pytest.mark.worker]


def _setup() -> tuple[Community, Space, services.Actor]:
    community = Community.objects.create(slug="garden", name="Garden")
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    user = make_user("maya_mod")
    Membership.objects.create(
        community=community, user=user, display_name="maya", role=Role.MODERATOR
    )
    return community, space, services.Actor.person(user)


def test_a_cooldown_ends_by_itself_on_time_with_the_real_worker(
    celery_worker: WorkerProcess,
) -> None:
    community, space, actor = _setup()
    incident = services.declare_incident(
        community=community, title="Heated", severity="SEV3", spaces=[space], actor=actor
    )
    ends_at = timezone.now() + timedelta(seconds=3)
    cooldown = services.start_cooldown(
        community=community,
        space=space,
        mode="slow_mode",
        slow_mode_seconds=30,
        ends_at=ends_at,
        actor=actor,
        incident=incident,
    )
    assert Cooldown.objects.get(pk=cooldown.pk).ended_at is None
    ended = wait_for(
        lambda: Cooldown.objects.filter(pk=cooldown.pk, ended_at__isnull=False).first(),
        timeout=30,
        what="the cooldown to end by itself",
    )
    assert ended.end_reason == "expired"
    assert ended.ended_at == ends_at  # it ended at its end, not whenever the worker woke
    assert "incidents.end_cooldown" in celery_worker.log()
    assert incident.timeline.filter(kind="cooldown", text__contains="ended on time").exists()
    wait_for(
        lambda: DomainEvent.objects.filter(
            type="cooldown.ended", dispatched_at__isnull=False
        ).exists(),
        what="cooldown.ended to be dispatched",
    )


def test_the_worker_runs_the_automated_steps_of_a_runbook(celery_worker: WorkerProcess) -> None:
    community, space, actor = _setup()
    incident = services.declare_incident(
        community=community, title="Heated", severity="SEV3", spaces=[space], actor=actor
    )
    runbook = install_starter_runbooks(community=community)[RUNBOOK_A]
    run = services.start_runbook(
        incident=incident, runbook=runbook, expected_version=None, actor=actor
    )
    wait_for(
        lambda: StepRun.objects.filter(
            run=run, position=3, status__in=["done", "skipped"]
        ).exists(),
        what="the first three steps to run in the worker",
    )
    assert list(
        StepRun.objects.filter(run=run).order_by("position").values_list("status", flat=True)
    ) == [
        "done",
        "done",
        "skipped",
        "pending",
        "pending",
        "pending",
    ]
    assert Cooldown.objects.active().filter(incident=incident).exists()
    assert "incidents.run_step" in celery_worker.log()
