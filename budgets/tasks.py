"""Thin Celery wrappers over the budgets services. Tasks take ids and are idempotent."""

from __future__ import annotations

from celery import Task, shared_task

from budgets import fan_out, scheduling, services
from community.models import Community


@shared_task(name="budgets.recalculate", ignore_result=True)
def recalculate_budgets(community_id: int) -> None:
    """The coalesced recalculation of one community (dirty members, or all after a policy
    change). Enqueued only by ``services.request_recalculation``."""
    scheduling.run_pending_recalculation(community_id=community_id)


@shared_task(name="budgets.recalculate_chunk", bind=True, ignore_result=True)
def recalculate_chunk(self: Task, chunk_id: int) -> None:
    """One chunk of a fanned-out full recalculation (``budgets.fan_out``); the worker's name
    is recorded on the chunk."""
    fan_out.run_chunk(chunk_id=chunk_id, worker=self.request.hostname or "")


@shared_task(name="budgets.recalculate_periodic", ignore_result=True)
def recalculate_periodic(community_id: int) -> None:
    community = Community.objects.filter(pk=community_id).first()
    if community is not None:
        scheduling.recalculate_periodically(community=community)


@shared_task(name="budgets.regenerate_all", ignore_result=True)
def regenerate_all() -> int:
    """Beat: fan out one periodic recalculation per community (budgets regenerate as charges
    leave the window, without new events) and re-send recalculations whose task was lost."""
    return scheduling.regenerate_budgets()


@shared_task(name="budgets.resend_stale", ignore_result=True)
def resend_stale() -> int:
    """Beat, every minute: a recalculation requested while the broker was down (or whose task
    was lost) is sent again, so budgets catch up within minutes of the broker returning."""
    return scheduling.resend_stale_requests()


@shared_task(name="budgets.email_notices", ignore_result=True)
def email_notices(notice_ids: list[int], attempt: int = 1) -> int:
    return services.email_notices(notice_ids=notice_ids, attempt=attempt)
