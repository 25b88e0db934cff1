"""Runbook runs: ordered, conditional steps; automated ones run in Celery."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from community.jobs import enqueue_after_commit
from community.language import in_community_language
from community.services import ServiceError
from incidents.models import (
    Incident,
    Runbook,
    RunbookRun,
    StepKind,
    StepRun,
    StepStatus,
    TimelineKind,
)
from incidents.services.common import Actor, StepFailed, _entry, _locked, _save
from incidents.services.steps import (
    DEFAULT_NOTICE,
    DEFAULT_PARTY_MESSAGE,
    _perform,
    decide_lift,
    record_check_in_due,
)

__all__ = ["DEFAULT_NOTICE", "DEFAULT_PARTY_MESSAGE", "record_check_in_due"]
logger = logging.getLogger(__name__)

# --- Runbooks -------------------------------------------------------------------------------


def start_runbook(
    *, incident: Incident, runbook: Runbook, expected_version: int | None, actor: Actor
) -> RunbookRun:
    with transaction.atomic():
        inc = _locked(incident.pk, expected_version)
        if runbook.community_id != inc.community_id:
            raise ServiceError(_("That runbook belongs to another community."))
        if not runbook.is_active:
            raise ServiceError(_("That runbook is retired."))
        if not inc.is_open:
            raise ServiceError(_("This incident is no longer open."))
        if inc.runbook_runs.filter(runbook=runbook).exists():
            raise ServiceError(
                _("“%(name)s” is already running on this incident.") % {"name": runbook.name}
            )
        run = RunbookRun.objects.create(incident=inc, runbook=runbook, started_by=actor.user)
        space_kinds = set(inc.spaces.values_list("kind", flat=True))
        for step in runbook.steps.order_by("position"):
            reason = in_community_language(
                inc.community,
                partial(step.skip_reason, severity=inc.severity, space_kinds=space_kinds),
            )
            status = StepStatus.SKIPPED if reason else StepStatus.PENDING
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
        _entry(
            inc,
            TimelineKind.RUNBOOK,
            lambda: _("Started “%(runbook)s”.") % {"runbook": runbook.name},
            actor,
            data={"run": run.pk},
        )
        for sr in run.steps.filter(status=StepStatus.SKIPPED):
            # The reason is in the community's language, and so is the whole entry.
            skipped = in_community_language(
                inc.community,
                partial(_step_message, sr, StepStatus.SKIPPED, sr.reason, with_title=False),
            )
            _entry(inc, TimelineKind.STEP, skipped, actor)
        _advance(run)
    return run


def _advance(run: RunbookRun) -> None:
    """Walk the run in order: start the next automated step, or stop at a checklist item (a
    person ticks it), a step waiting for its time, a lift waiting for the facilitator, a
    running or a failed step."""
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
            lambda: _("“%(runbook)s” finished.") % {"runbook": run.runbook.name},
            Actor.system(f"Runbook: {run.runbook.name}"),
        )


def run_step_now(*, step_run: StepRun, expected_version: int | None, actor: Actor) -> StepRun:
    """A person runs a step: ticks a checklist item, (re)starts an automated step that is
    pending or failed, or re-checks a waiting step now."""
    with transaction.atomic():
        inc = _locked(step_run.run.incident_id, expected_version)
        sr = StepRun.objects.select_for_update().select_related("run__runbook").get(pk=step_run.pk)
        if not inc.is_open:
            raise ServiceError(_("This incident is no longer open."))
        if sr.is_finished:
            raise ServiceError(
                _("Step %(position)s is already %(status)s.")
                % {"position": sr.position, "status": sr.status}
            )
        if sr.status == StepStatus.RUNNING:
            raise ServiceError(
                _("Step %(position)s is running; give it a moment.") % {"position": sr.position}
            )
        if sr.status == StepStatus.PROPOSED:
            raise ServiceError(
                _("Step %(position)s is waiting for the facilitator: lift now or keep cooling.")
                % {"position": sr.position}
            )
        if sr.kind == StepKind.CHECKLIST:
            sr.status = StepStatus.DONE
            sr.finished_at = timezone.now()
            sr.reason = in_community_language(
                inc.community, lambda: _("Done by %(name)s.") % {"name": actor.name}
            )
            sr.save(update_fields=["status", "finished_at", "reason"])
            _entry(
                inc,
                TimelineKind.STEP,
                lambda: (
                    _("Step %(position)s done: %(title)s")
                    % {"position": sr.position, "title": sr.title}
                ),
                actor,
            )
            _save(inc)
            _advance(sr.run)
            return sr
        sr.status = StepStatus.RUNNING
        sr.error = ""
        sr.started_at = timezone.now()
        sr.save(update_fields=["status", "error", "started_at"])
        _entry(
            inc,
            TimelineKind.STEP,
            lambda: (
                _("Step %(position)s started: %(title)s")
                % {"position": sr.position, "title": sr.title}
            ),
            actor,
        )
        _save(inc)
        enqueue_after_commit("incidents.run_step", sr.pk)
    return sr


def skip_step(
    *, step_run: StepRun, reason: str, expected_version: int | None, actor: Actor
) -> StepRun:
    reason = reason.strip()
    if not reason:
        raise ServiceError(_("Say why the step is skipped."))
    with transaction.atomic():
        inc = _locked(step_run.run.incident_id, expected_version)
        sr = StepRun.objects.select_for_update().select_related("run__runbook").get(pk=step_run.pk)
        if sr.is_finished:
            raise ServiceError(
                _("Step %(position)s is already %(status)s.")
                % {"position": sr.position, "status": sr.status}
            )
        sr.status = StepStatus.SKIPPED
        sr.reason = reason
        sr.finished_at = timezone.now()
        sr.save(update_fields=["status", "reason", "finished_at"])
        _entry(
            inc,
            TimelineKind.STEP,
            lambda: (
                _("Step %(position)s skipped: %(text)s") % {"position": sr.position, "text": reason}
            ),
            actor,
        )
        _save(inc)
        _advance(sr.run)
    return sr


def decide_lift_proposal(
    *, step_run: StepRun, accept: bool, expected_version: int | None, actor: Actor
) -> StepRun:
    """The facilitator answers a re-check's proposal to lift a cooldown early: lift now
    (``accept``) or keep cooling until the cooldown ends by itself. Either way the step is done
    and the runbook moves on."""
    with transaction.atomic():
        inc = _locked(step_run.run.incident_id, expected_version)
        sr = StepRun.objects.select_for_update().select_related("run__runbook").get(pk=step_run.pk)
        if sr.status != StepStatus.PROPOSED:
            raise ServiceError(_("That proposal has already been answered; reload to see how."))
        if not inc.is_open:
            raise ServiceError(_("This incident is no longer open."))
        sr.reason = decide_lift(inc, sr, accept=accept, actor=actor)
        sr.status = StepStatus.DONE
        sr.finished_at = timezone.now()
        sr.save(update_fields=["status", "reason", "finished_at"])
        _save(inc)
        _advance(sr.run)
    return sr


def _step_message(sr: StepRun, outcome: str, text: str, *, with_title: bool = True) -> str:
    """The incident timeline's entry for what an automated step did, in the active language
    (the community's: ``text``, the step's reason, is stored in it)."""
    values = {"position": sr.position, "title": sr.title, "text": text}
    if outcome == StepStatus.FAILED:
        return _("Step %(position)s failed: %(text)s") % values
    if outcome in (StepStatus.WAITING, StepStatus.PROPOSED):
        return _("Step %(position)s: %(text)s") % values
    if outcome == StepStatus.SKIPPED:
        if not with_title:
            return _("Step %(position)s skipped: %(text)s") % values
        return _("Step %(position)s skipped: %(title)s. %(text)s") % values
    return _("Step %(position)s done: %(title)s. %(text)s") % values


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
        # The step's words are stored as its reason: written in the community's language.
        language = inc.community.default_language or settings.LANGUAGE_CODE
        try:
            with transaction.atomic(), translation.override(language):
                outcome, text = _perform(inc, sr, actor)
        except StepFailed as exc:
            outcome, text = StepStatus.FAILED, str(exc)
        sr.status = outcome
        with translation.override(language):  # the entry quotes the step's words: one language
            message = _step_message(sr, outcome, text)
        if outcome == StepStatus.FAILED:
            sr.error = text
            sr.finished_at = timezone.now()
        elif outcome in (StepStatus.WAITING, StepStatus.PROPOSED):
            sr.reason = text
        else:
            sr.reason = text
            sr.finished_at = timezone.now()
        sr.save()
        kind = TimelineKind.PROPOSAL if outcome == StepStatus.PROPOSED else TimelineKind.STEP
        _entry(inc, kind, message, actor, data={"step": sr.pk, "status": outcome})
        _save(inc)
        if outcome == StepStatus.WAITING and sr.due_at is not None:
            due = sr.due_at
            enqueue_after_commit("incidents.run_step", sr.pk, eta=due)
        elif outcome != StepStatus.PROPOSED:  # a proposal waits for the facilitator
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
            lambda: (
                _("Step %(position)s failed after %(attempts)s attempts: %(error)s")
                % {"position": sr.position, "attempts": attempts, "error": error}
            ),
            Actor.system(f"Runbook: {sr.run.runbook.name}"),
        )
        _save(inc)


def note_step_retry(
    *, step_run_id: int, error: str, attempt: int, sent_to: tuple[int, ...] = ()
) -> None:
    """Record a retry; ``sent_to`` (parties already reached) is kept on the entry, where the
    step's next attempt reads it."""
    sr = StepRun.objects.select_related("run__incident").get(pk=step_run_id)
    _entry(
        sr.run.incident,
        TimelineKind.STEP,
        lambda: (
            _("Step %(position)s attempt %(attempt)s hit a passing problem (%(error)s); retrying.")
            % {"position": sr.position, "attempt": attempt, "error": error}
        ),
        Actor.system("worker"),
        data={"step": sr.pk, "sent_to": sorted(sent_to)} if sent_to else None,
    )


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
