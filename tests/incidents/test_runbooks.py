"""Running a runbook: ordered steps, conditions, automated actions in Celery (eager here),
checklist items waiting for a person, retries of transient failures, and calm re-checks."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings
from django.utils import timezone

from community.models import ConductEvent, DomainEvent, Space
from community.services import ServiceError
from incidents import services
from incidents.models import Cooldown, Notice, RunbookStep, StepRun
from incidents.starter_runbooks import RUNBOOK_A, install_starter_runbooks
from tests.incidents.conftest import add_events, fresh


class FailingMail(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("mail server went away")


def _statuses(run) -> list[str]:
    return [s.status for s in run.steps.order_by("position")]


def _run_a(incident, runbook_a, mod_actor, capture):
    with capture(execute=True):
        run = services.start_runbook(
            incident=incident,
            runbook=runbook_a,
            expected_version=fresh(incident).version,
            actor=mod_actor,
        )
    return run


def test_cool_down_runbook_runs_its_automated_steps_then_waits_for_a_person(
    incident, runbook_a, mod_actor, member, django_capture_on_commit_callbacks
) -> None:
    member.email = "milo@example.org"
    member.save()
    run = _run_a(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    assert _statuses(run) == ["done", "done", "done", "pending", "pending", "pending"]
    cooldown = Cooldown.objects.active().get()
    assert (cooldown.mode, cooldown.slow_mode_seconds) == ("slow_mode", 120)
    assert abs(cooldown.ends_at - cooldown.starts_at - timedelta(hours=2)) < timedelta(seconds=1)
    assert fresh(incident).status == "mitigating"
    notice = Notice.objects.get()
    assert "A moderator is facilitating" in notice.raw
    assert "Runbook A: Cool Down" in notice.raw
    payload = DomainEvent.objects.get(type="notice.requested").payload
    assert payload == {
        "notice_id": notice.pk,
        "incident_id": incident.pk,
        "space": payload["space"],
        "raw": notice.raw,
    }
    assert len(mail.outbox) == 1
    assert "costs you nothing" in mail.outbox[0].body
    assert incident.timeline.filter(kind="step").count() == 3


def test_the_notice_names_the_facilitator(
    incident, runbook_a, mod_actor, community, moderator, django_capture_on_commit_callbacks
) -> None:
    services.offer_facilitator(
        incident=incident,
        to=community.memberships.get(user=moderator),
        expected_version=None,
        actor=mod_actor,
    )
    _run_a(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    assert "maya_mod is facilitating" in Notice.objects.get().raw


def _check_in_time(run) -> Any:
    """The moment the run's "check in again in an hour" step comes due."""
    check_in = run.steps.get(kind="schedule_check_in")
    assert check_in.status == "waiting" and check_in.due_at is not None
    return time_machine.travel(check_in.due_at + timedelta(seconds=1), tick=False)


def test_ticking_the_checklist_runs_the_rest_and_a_calm_space_is_lifted(
    incident, runbook_a, mod_actor, space, django_capture_on_commit_callbacks
) -> None:
    run = _run_a(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    checklist = run.steps.get(position=4)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_step_now(step_run=checklist, expected_version=None, actor=mod_actor)
    # "Check in again in an hour" waits for its hour; the re-check after it waits too.
    assert _statuses(run) == ["done"] * 4 + ["waiting", "pending"]
    check_in = run.steps.get(position=5)
    assert check_in.due_at is not None
    assert check_in.due_at - timezone.now() > timedelta(minutes=59)
    assert incident.timeline.filter(kind="check_in").count() == 0  # eager: still not yet
    assert Cooldown.objects.get().ended_at is None
    with _check_in_time(run), django_capture_on_commit_callbacks(execute=True):
        add_events(space, posts=50, bad=0)
        assert services.execute_step(step_run_id=check_in.pk) == "done"
    assert _statuses(run) == ["done"] * 6
    assert Cooldown.objects.get().end_reason == "calm"
    assert type(run).objects.get(pk=run.pk).finished_at is not None
    assert incident.timeline.filter(kind="check_in").count() == 1
    assert DomainEvent.objects.filter(type="cooldown.ended", payload__reason="calm").exists()


def test_the_sweep_runs_a_check_in_whose_time_has_come(
    incident, runbook_a, mod_actor, django_capture_on_commit_callbacks
) -> None:
    from incidents import tasks

    run = _run_a(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_step_now(
            step_run=run.steps.get(position=4), expected_version=None, actor=mod_actor
        )
        tasks.sweep_cooldowns()
    assert run.steps.get(position=5).status == "waiting"
    with _check_in_time(run), django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_cooldowns()
    assert run.steps.get(position=5).status == "done"
    assert incident.timeline.filter(kind="check_in").count() == 1


def _rejected_flags(space: Space, *, posts: int, flags: int) -> None:
    """Posts, flags upheld on some of them, and each of those flags rejected afterwards."""
    at = timezone.now() - timedelta(minutes=2)
    events = [
        ConductEvent(
            community=space.community,
            space=space,
            kind=kind,
            category="inappropriate" if kind != "post" else "",
            subject=f"post-{i}",
            occurred_at=at,
            recorded_at=at + timedelta(seconds=offset),
            external_id=f"{kind}-{i}",
        )
        for i in range(posts)
        for kind, offset in [("post", 0), ("flag_upheld", 10), ("flag_rejected", 30)]
        if kind == "post" or i < flags
    ]
    ConductEvent.objects.bulk_create(events)


def test_flags_that_were_rejected_do_not_count_against_calm(space: Space) -> None:
    _rejected_flags(space, posts=100, flags=10)
    verdict = services.space_calm(space=space)
    assert verdict.calm, verdict.explain()
    assert verdict.burn_long == verdict.burn_short == 0


def test_a_space_whose_flags_were_rejected_is_calm_and_its_cooldown_lifts(
    incident, runbook_a, mod_actor, space, django_capture_on_commit_callbacks
) -> None:
    run = _run_a(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_step_now(
            step_run=run.steps.get(position=4), expected_version=None, actor=mod_actor
        )
    with _check_in_time(run), django_capture_on_commit_callbacks(execute=True):
        _rejected_flags(space, posts=100, flags=10)
        services.execute_step(step_run_id=run.steps.get(position=5).pk)
    assert _statuses(run) == ["done"] * 6
    assert Cooldown.objects.get().end_reason == "calm"


def test_a_hot_space_is_not_lifted_and_is_re_checked_later(
    incident, runbook_a, mod_actor, space, django_capture_on_commit_callbacks
) -> None:
    run = _run_a(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_step_now(
            step_run=run.steps.get(position=4), expected_version=None, actor=mod_actor
        )
    check_in = run.steps.get(position=5)
    with _check_in_time(run), django_capture_on_commit_callbacks(execute=True):
        add_events(space, posts=100, bad=10)
        services.execute_step(step_run_id=check_in.pk)
    recheck = run.steps.get(position=6)
    assert recheck.status == "waiting"
    assert "not calm yet" in recheck.reason
    assert Cooldown.objects.active().exists()
    # Later the flags stop and the posts move out of the long window: the re-check lifts it.
    assert check_in.due_at is not None
    with time_machine.travel(check_in.due_at + timedelta(minutes=61)):
        add_events(space, posts=20, bad=0, prefix="later")
        assert services.execute_step(step_run_id=recheck.pk) == "done"
    assert Cooldown.objects.get().end_reason == "calm"


def test_conditions_skip_steps_with_a_reason(
    incident, runbook_b, mod_actor, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_runbook(
            incident=incident, runbook=runbook_b, expected_version=None, actor=mod_actor
        )
    sev1_only = run.steps.get(position=3)
    assert sev1_only.status == "skipped"
    assert "only for SEV1" in sev1_only.reason
    assert Cooldown.objects.get().mode == "read_only"


def test_a_step_can_be_skipped_with_a_reason_only(
    incident, runbook_a, mod_actor, django_capture_on_commit_callbacks
) -> None:
    run = _run_a(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    step = run.steps.get(position=4)
    with pytest.raises(ServiceError, match="why"):
        services.skip_step(step_run=step, reason="", expected_version=None, actor=mod_actor)
    assert StepRun.objects.get(pk=step.pk).status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        services.skip_step(
            step_run=step, reason="Parties already talked", expected_version=None, actor=mod_actor
        )
    assert StepRun.objects.get(pk=step.pk).status == "skipped"
    assert run.steps.get(position=5).status == "waiting"  # the check-in waits for its hour


@override_settings(MAILERS={"default": {"BACKEND": "tests.incidents.test_runbooks.FailingMail"}})
def test_a_transient_failure_is_retried_then_the_step_fails_with_the_error(
    incident, runbook_a, mod_actor, member, django_capture_on_commit_callbacks
) -> None:
    member.email = "milo@example.org"
    member.save()
    run = _run_a(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    notify = run.steps.get(position=3)
    assert notify.status == "failed"
    assert "mail server went away" in notify.error
    assert notify.attempts == 4
    retries = incident.timeline.filter(text__contains="retrying")
    assert retries.count() == 3
    assert incident.timeline.filter(text__contains="failed after").exists()
    # The run stops at the failed step until a person retries or skips it.
    assert run.steps.get(position=4).status == "pending"


def test_the_same_runbook_cannot_run_twice_on_an_incident(
    incident, runbook_a, mod_actor, django_capture_on_commit_callbacks
) -> None:
    _run_a(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    with pytest.raises(ServiceError, match="already running"):
        services.start_runbook(
            incident=incident, runbook=runbook_a, expected_version=None, actor=mod_actor
        )


def test_a_runbook_of_another_community_is_refused(incident, other_community, mod_actor) -> None:
    foreign = install_starter_runbooks(community=other_community)[RUNBOOK_A]
    with pytest.raises(ServiceError, match="another community"):
        services.start_runbook(
            incident=incident, runbook=foreign, expected_version=None, actor=mod_actor
        )
    assert not incident.runbook_runs.exists()


def test_a_step_whose_space_is_cooling_for_another_reason_fails_clearly(
    community, space, incident, runbook_a, mod_actor, django_capture_on_commit_callbacks
) -> None:
    services.start_cooldown(
        community=community,
        space=space,
        mode="read_only",
        ends_at=timezone.now() + timedelta(hours=1),
        actor=mod_actor,
    )
    run = _run_a(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    first = run.steps.get(position=1)
    assert first.status == "failed"
    assert "cooldown from elsewhere" in first.error
    assert RunbookStep.objects.filter(runbook=runbook_a).count() == 6


def test_the_sweep_re_enqueues_a_step_whose_task_was_lost(
    incident, runbook_a, mod_actor, django_capture_on_commit_callbacks
) -> None:
    from incidents import tasks

    # The broker was down: the run starts but no task ever reaches a worker.
    with django_capture_on_commit_callbacks(execute=False):
        run = services.start_runbook(
            incident=incident, runbook=runbook_a, expected_version=None, actor=mod_actor
        )
    first = run.steps.get(position=1)
    assert first.status == "running"
    assert tasks.sweep_cooldowns() == 0
    assert StepRun.objects.get(pk=first.pk).status == "running"  # not yet considered stuck
    later = timezone.now() + timedelta(minutes=6)
    with time_machine.travel(later), django_capture_on_commit_callbacks(execute=True):
        tasks.sweep_cooldowns()
    assert StepRun.objects.get(pk=first.pk).status == "done"
    assert Cooldown.objects.filter(incident=incident).exists()


@pytest.mark.parametrize(
    ("text", "raw"),
    [
        ("Calm down {", "Calm down {"),
        ("Calm down {0} {space.name} {}", "Calm down {0} {space.name} {}"),
        ("{facilitator} asks: breathe {x}", "A moderator asks: breathe {x}"),
    ],
)
def test_a_notice_text_with_stray_braces_is_posted_as_written_and_later_steps_run(
    incident, runbook_a, mod_actor, django_capture_on_commit_callbacks, text: str, raw: str
) -> None:
    # Written before texts were checked when saved: running it must still never stall.
    RunbookStep.objects.filter(runbook=runbook_a, kind="post_notice").update(config={"text": text})
    run = _run_a(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    assert _statuses(run) == ["done", "done", "done", "pending", "pending", "pending"]
    assert Notice.objects.get().raw == raw
