"""Runbook runs: ordered, conditional steps; automated ones run in Celery."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from community.domain_events import record_domain_event
from community.jobs import enqueue_after_commit
from community.models import DomainEventType, Space
from community.services import ServiceError
from incidents.models import (
    CooldownEndReason,
    CooldownMode,
    Incident,
    Notice,
    RoleKind,
    Runbook,
    RunbookRun,
    StepKind,
    StepRun,
    StepStatus,
    TimelineKind,
)
from incidents.notice_templates import fill
from incidents.services.common import (
    Actor,
    StepFailed,
    TransientStepError,
    _entry,
    _locked,
    _save,
    space_payload,
)
from incidents.services.cooldowns import _end_cooldown, space_calm, start_cooldown
from incidents.services.roles import _active_role

logger = logging.getLogger(__name__)

# --- Runbooks -------------------------------------------------------------------------------


def start_runbook(
    *, incident: Incident, runbook: Runbook, expected_version: int | None, actor: Actor
) -> RunbookRun:
    with transaction.atomic():
        inc = _locked(incident.pk, expected_version)
        if runbook.community_id != inc.community_id:
            raise ServiceError("That runbook belongs to another community.")
        if not runbook.is_active:
            raise ServiceError("That runbook is retired.")
        if not inc.is_open:
            raise ServiceError("This incident is no longer open.")
        if inc.runbook_runs.filter(runbook=runbook).exists():
            raise ServiceError(f"“{runbook.name}” is already running on this incident.")
        run = RunbookRun.objects.create(incident=inc, runbook=runbook, started_by=actor.user)
        space_kinds = set(inc.spaces.values_list("kind", flat=True))
        for step in runbook.steps.order_by("position"):
            status, reason = StepStatus.PENDING, ""
            if step.only_severities and inc.severity not in step.only_severities:
                status = StepStatus.SKIPPED
                reason = f"Condition not met: runs only for {'/'.join(step.only_severities)}."
            elif step.only_space_kinds and not space_kinds & set(step.only_space_kinds):
                status = StepStatus.SKIPPED
                reason = f"Condition not met: runs only in a {' or '.join(step.only_space_kinds)}."
            StepRun.objects.create(
                run=run,
                position=step.position,
                title=step.title,
                kind=step.kind,
                config=step.config,
                status=status,
                reason=reason,
                finished_at=timezone.now() if status == StepStatus.SKIPPED else None,
            )
        _save(inc)
        _entry(inc, TimelineKind.RUNBOOK, f"Started “{runbook.name}”.", actor, data={"run": run.pk})
        for sr in run.steps.filter(status=StepStatus.SKIPPED):
            _entry(inc, TimelineKind.STEP, f"Step {sr.position} skipped: {sr.reason}", actor)
        _advance(run)
    return run


def _advance(run: RunbookRun) -> None:
    """Walk the run in order: start the next automated step, or stop at a checklist item (a
    person ticks it), a waiting re-check, a running or a failed step."""
    for sr in run.steps.order_by("position"):
        if sr.is_finished:
            continue
        if sr.status == StepStatus.PENDING and sr.is_automated:
            sr.status = StepStatus.RUNNING
            sr.started_at = timezone.now()
            sr.save(update_fields=["status", "started_at"])
            enqueue_after_commit("incidents.run_step", sr.pk)
        return
    if run.finished_at is None:
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
        _entry(
            run.incident,
            TimelineKind.RUNBOOK,
            f"“{run.runbook.name}” finished.",
            Actor.system(f"Runbook: {run.runbook.name}"),
        )


def run_step_now(*, step_run: StepRun, expected_version: int | None, actor: Actor) -> StepRun:
    """A person runs a step: ticks a checklist item, (re)starts an automated step that is
    pending or failed, or re-checks a waiting step now."""
    with transaction.atomic():
        inc = _locked(step_run.run.incident_id, expected_version)
        sr = StepRun.objects.select_for_update().select_related("run__runbook").get(pk=step_run.pk)
        if not inc.is_open:
            raise ServiceError("This incident is no longer open.")
        if sr.is_finished:
            raise ServiceError(f"Step {sr.position} is already {sr.status}.")
        if sr.status == StepStatus.RUNNING:
            raise ServiceError(f"Step {sr.position} is running; give it a moment.")
        if sr.kind == StepKind.CHECKLIST:
            sr.status = StepStatus.DONE
            sr.finished_at = timezone.now()
            sr.reason = f"Done by {actor.name}."
            sr.save(update_fields=["status", "finished_at", "reason"])
            _entry(inc, TimelineKind.STEP, f"Step {sr.position} done: {sr.title}", actor)
            _save(inc)
            _advance(sr.run)
            return sr
        sr.status = StepStatus.RUNNING
        sr.error = ""
        sr.started_at = timezone.now()
        sr.save(update_fields=["status", "error", "started_at"])
        _entry(inc, TimelineKind.STEP, f"Step {sr.position} started: {sr.title}", actor)
        _save(inc)
        enqueue_after_commit("incidents.run_step", sr.pk)
    return sr


def skip_step(
    *, step_run: StepRun, reason: str, expected_version: int | None, actor: Actor
) -> StepRun:
    reason = reason.strip()
    if not reason:
        raise ServiceError("Say why the step is skipped.")
    with transaction.atomic():
        inc = _locked(step_run.run.incident_id, expected_version)
        sr = StepRun.objects.select_for_update().select_related("run__runbook").get(pk=step_run.pk)
        if sr.is_finished:
            raise ServiceError(f"Step {sr.position} is already {sr.status}.")
        sr.status = StepStatus.SKIPPED
        sr.reason = reason
        sr.finished_at = timezone.now()
        sr.save(update_fields=["status", "reason", "finished_at"])
        _entry(inc, TimelineKind.STEP, f"Step {sr.position} skipped: {reason}", actor)
        _save(inc)
        _advance(sr.run)
    return sr


def execute_step(*, step_run_id: int) -> str:
    """Run one automated step (called by the ``incidents.run_step`` task). Idempotent: a step
    that is not running or waiting is left alone. Raises ``TransientStepError`` for the task to
    retry; a permanent failure marks the step failed."""
    sr0 = StepRun.objects.select_related("run").filter(pk=step_run_id).first()
    if sr0 is None:
        return "gone"
    with transaction.atomic():
        inc = _locked(sr0.run.incident_id, None)
        sr = StepRun.objects.select_for_update().select_related("run__runbook").get(pk=step_run_id)
        if sr.status not in (StepStatus.RUNNING, StepStatus.WAITING):
            return sr.status
        if sr.status == StepStatus.WAITING and sr.due_at and sr.due_at > timezone.now():
            return sr.status
        sr.attempts += 1
        actor = Actor.system(f"Runbook: {sr.run.runbook.name}")
        try:
            with transaction.atomic():
                outcome, text = _perform(inc, sr, actor)
        except StepFailed as exc:
            outcome, text = StepStatus.FAILED, str(exc)
        sr.status = outcome
        if outcome == StepStatus.FAILED:
            sr.error = text
            sr.finished_at = timezone.now()
            message = f"Step {sr.position} failed: {text}"
        elif outcome == StepStatus.WAITING:
            sr.reason = text
            message = f"Step {sr.position}: {text}"
        else:
            sr.reason = text
            sr.finished_at = timezone.now()
            message = f"Step {sr.position} {outcome}: {sr.title}. {text}"
        sr.save()
        _entry(inc, TimelineKind.STEP, message, actor, data={"step": sr.pk, "status": outcome})
        _save(inc)
        if outcome == StepStatus.WAITING and sr.due_at is not None:
            due = sr.due_at
            enqueue_after_commit("incidents.run_step", sr.pk, eta=due)
        else:
            _advance(sr.run)
    return sr.status


def fail_step(*, step_run_id: int, error: str, attempts: int) -> None:
    """The task gave up retrying a transient error."""
    with transaction.atomic():
        sr0 = StepRun.objects.select_related("run").get(pk=step_run_id)
        inc = _locked(sr0.run.incident_id, None)
        sr = StepRun.objects.select_for_update().select_related("run__runbook").get(pk=step_run_id)
        if sr.status not in (StepStatus.RUNNING, StepStatus.WAITING):
            return
        sr.status = StepStatus.FAILED
        sr.error = error
        sr.attempts = attempts
        sr.finished_at = timezone.now()
        sr.save(update_fields=["status", "error", "attempts", "finished_at"])
        _entry(
            inc,
            TimelineKind.STEP,
            f"Step {sr.position} failed after {attempts} attempts: {error}",
            Actor.system(f"Runbook: {sr.run.runbook.name}"),
        )
        _save(inc)


def note_step_retry(*, step_run_id: int, error: str, attempt: int) -> None:
    sr = StepRun.objects.select_related("run__incident").get(pk=step_run_id)
    _entry(
        sr.run.incident,
        TimelineKind.STEP,
        f"Step {sr.position} attempt {attempt} hit a passing problem ({error}); retrying.",
        Actor.system("worker"),
    )


def _facilitator_name(inc: Incident) -> str:
    role = _active_role(inc, RoleKind.FACILITATOR)
    return role.membership.display_name if role else "A moderator"


def _perform(inc: Incident, sr: StepRun, actor: Actor) -> tuple[str, str]:
    config = sr.config or {}
    spaces = list(inc.spaces.order_by("pk"))
    if sr.kind == StepKind.START_COOLDOWN:
        return _step_cooldown(inc, sr, actor, spaces, config)
    if sr.kind == StepKind.POST_NOTICE:
        if not spaces:
            return StepStatus.SKIPPED, "The incident has no space to post in."
        template = str(config.get("text") or DEFAULT_NOTICE)
        posted = []
        for space in spaces:
            active = space.cooldowns.active().first()
            raw = fill(
                template,
                {
                    "facilitator": _facilitator_name(inc),
                    "runbook": sr.run.runbook.name,
                    "space": space.name,
                    "ends_at": f"{active.ends_at:%H:%M} UTC" if active else "later today",
                },
            )
            notice, created = Notice.objects.get_or_create(
                step_run=sr, space=space, defaults={"incident": inc, "raw": raw}
            )
            if created:
                record_domain_event(
                    community=inc.community,
                    type=DomainEventType.NOTICE_REQUESTED,
                    payload={
                        "notice_id": notice.pk,
                        "incident_id": inc.pk,
                        "space": space_payload(space),
                        "raw": notice.raw,
                    },
                )
            posted.append(space.name)
        return StepStatus.DONE, "Notice requested in " + ", ".join(posted) + "."
    if sr.kind == StepKind.NOTIFY_PARTIES:
        return _step_notify(inc, sr, config)
    if sr.kind == StepKind.SCHEDULE_CHECK_IN:
        minutes = int(config.get("after_minutes") or 60)
        due = timezone.now() + timedelta(minutes=minutes)
        sr.due_at = due
        enqueue_after_commit("incidents.check_in_due", sr.pk, eta=due)
        return StepStatus.DONE, f"Check-in due at {due:%H:%M} UTC."
    if sr.kind == StepKind.RECHECK_CALM:
        return _step_recheck(inc, sr, config)
    raise StepFailed(f"“{sr.kind}” is not an automated step.")


DEFAULT_NOTICE = (
    "**This conversation is cooling down.** {facilitator} is facilitating, following "
    "“{runbook}”. Posting in {space} is slowed until {ends_at}. Take a breath; nobody is in "
    "trouble for having strong feelings. Moderators will check in."
)
DEFAULT_PARTY_MESSAGE = (
    "Hello {name}, a conversation you took part in is cooling down for a while. Nobody is being "
    "judged and this costs you nothing. {facilitator} is facilitating and will check in with you."
)


def _step_cooldown(
    inc: Incident, sr: StepRun, actor: Actor, spaces: list[Space], config: dict[str, Any]
) -> tuple[str, str]:
    if not spaces:
        return StepStatus.SKIPPED, "The incident has no space to cool down."
    minutes = int(config.get("duration_minutes") or 120)
    mode = str(config.get("mode") or CooldownMode.SLOW_MODE)
    seconds = int(config.get("slow_mode_seconds") or 0) or None
    if mode == CooldownMode.SLOW_MODE and seconds is None:
        seconds = 120
    started = []
    for space in spaces:
        active = space.cooldowns.active().first()
        if active is not None:
            if active.incident_id == inc.pk:
                started.append(f"{space.name} (already cooling down)")
                continue
            raise StepFailed(f"{space.name} already has a cooldown from elsewhere.")
        try:
            start_cooldown(
                community=inc.community,
                space=space,
                mode=mode,
                slow_mode_seconds=seconds,
                ends_at=timezone.now() + timedelta(minutes=minutes),
                actor=actor,
                incident=inc,
                step_run=sr,
            )
        except ServiceError as exc:
            raise StepFailed(str(exc)) from None
        started.append(space.name)
    inc.refresh_from_db()
    return StepStatus.DONE, f"{mode.replace('_', ' ')} for {minutes} min on " + ", ".join(
        started
    ) + "."


def _step_notify(inc: Incident, sr: StepRun, config: dict[str, Any]) -> tuple[str, str]:
    parties = list(inc.parties.select_related("user"))
    if not parties:
        return StepStatus.SKIPPED, "No parties are named on this incident."
    template = str(config.get("text") or DEFAULT_PARTY_MESSAGE)
    sent = without = 0
    for party in parties:
        email = party.user.email if party.user is not None else ""
        if not email:
            without += 1
            continue
        body = fill(template, {"name": party.display_name, "facilitator": _facilitator_name(inc)})
        try:
            send_mail(
                subject=f"{inc.community.name}: a conversation is cooling down",
                message=body,
                from_email=None,
                recipient_list=[email],
            )
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientStepError(f"mail server: {exc}") from exc
        sent += 1
    text = f"Sent privately to {sent} part{'y' if sent == 1 else 'ies'}."
    if without:
        text += f" {without} without a login or email: reach them on the forum."
    return StepStatus.DONE, text


def _step_recheck(inc: Incident, sr: StepRun, config: dict[str, Any]) -> tuple[str, str]:
    cooldowns = list(inc.cooldowns.active().select_related("space"))
    if not cooldowns:
        return StepStatus.DONE, "No active cooldown left to lift."
    verdicts = {
        cd.pk: space_calm(
            space=cd.space,
            target=str(config.get("target") or "0.98"),
            threshold=str(config.get("threshold") or "1"),
            long_minutes=int(config.get("long_minutes") or 60),
            short_minutes=int(config.get("short_minutes") or 5),
        )
        for cd in cooldowns
    }
    if all(v.calm for v in verdicts.values()):
        actor = Actor.system(f"Runbook: {sr.run.runbook.name}")
        for cd in cooldowns:
            _end_cooldown(cd.pk, CooldownEndReason.CALM, actor, inc, note=verdicts[cd.pk].explain())
        return StepStatus.DONE, "Calm: " + "; ".join(
            f"{cd.space.name} {verdicts[cd.pk].explain()}" for cd in cooldowns
        )
    every = int(config.get("every_minutes") or 15)
    sr.due_at = timezone.now() + timedelta(minutes=every)
    worst = next(v for v in verdicts.values() if not v.calm)
    return StepStatus.WAITING, f"{worst.explain()}; re-checking in {every} min."


def record_check_in_due(*, step_run_id: int) -> bool:
    sr = StepRun.objects.select_related("run__incident").filter(pk=step_run_id).first()
    if sr is None or sr.due_at is None or not sr.run.incident.is_open:
        return False  # nothing to check in on once the incident is resolved
    inc = sr.run.incident
    try:
        with transaction.atomic():
            _entry(
                inc,
                TimelineKind.CHECK_IN,
                f"Check-in due: {_facilitator_name(inc)}, how are the parties and the space?",
                Actor.system("reminder"),
                dedupe_key=f"check-in:{sr.pk}",
            )
    except IntegrityError:
        return False
    return True


STUCK_AFTER = timedelta(minutes=5)


def retry_waiting_steps() -> int:
    """Re-enqueue steps whose task may have been lost: re-checks whose time has come, and steps
    marked running for a while (the broker was down when they were enqueued). Running a step
    twice is safe: the second run finds it finished and does nothing."""
    now = timezone.now()
    due = StepRun.objects.filter(
        Q(status=StepStatus.WAITING, due_at__lte=now)
        | Q(status=StepStatus.RUNNING, started_at__lte=now - STUCK_AFTER)
    )
    ids = list(due.values_list("pk", flat=True))
    for pk in ids:
        enqueue_after_commit("incidents.run_step", pk)
    return len(ids)
