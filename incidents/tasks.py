"""Thin Celery wrappers over the incident services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from community.jobs import enqueue_after_commit
from incidents import services

STEP_RETRIES = 3


@shared_task(name="incidents.end_cooldown", ignore_result=True)
def end_cooldown(cooldown_id: int) -> bool:
    """Scheduled with ``eta`` at the cooldown's end; a no-op if it was extended or lifted."""
    return services.expire_cooldown(cooldown_id=cooldown_id)


@shared_task(name="incidents.sweep_cooldowns", ignore_result=True)
def sweep_cooldowns() -> int:
    """Periodic: end overdue cooldowns and re-enqueue due re-checks, so nothing is missed when
    a worker was down at the scheduled moment."""
    ended = services.sweep_expired_cooldowns()
    services.retry_waiting_steps()
    return ended


@shared_task(name="incidents.run_step", ignore_result=True)
def run_step(step_run_id: int, attempt: int = 1) -> str:
    """Run one automated step. A transient error (mail server, database lock) is retried by
    sending the task again with a growing delay; after STEP_RETRIES retries the step fails."""
    try:
        return services.execute_step(step_run_id=step_run_id)
    except (services.TransientStepError, OperationalError) as exc:
        if attempt > STEP_RETRIES:
            services.fail_step(step_run_id=step_run_id, error=str(exc), attempts=attempt)
            return "failed"
        services.note_step_retry(
            step_run_id=step_run_id,
            error=str(exc),
            attempt=attempt,
            sent_to=getattr(exc, "sent_to", ()),
        )
        enqueue_after_commit(
            "incidents.run_step", step_run_id, attempt + 1, countdown=5 * 2 ** (attempt - 1)
        )
        return "retrying"


@shared_task(name="incidents.check_in_due", ignore_result=True)
def check_in_due(step_run_id: int) -> bool:
    return services.record_check_in_due(step_run_id=step_run_id)
