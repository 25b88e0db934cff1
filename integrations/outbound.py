"""One attempt at an outbound call (a forum action, a webhook delivery) is applied here and only
here: the attempt is logged, the call moves to its next state (``OutboundCall.apply_attempt``,
``integrations.retry``), a retry is enqueued after the backoff, and the row is saved."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from community.jobs import enqueue_after_commit
from integrations.models import OutboundCall
from integrations.retry import AttemptResult, Verdict


def record_attempt(
    *, call: OutboundCall, result: AttemptResult, now: datetime | None = None
) -> Verdict:
    """Record what one attempt came back with; call it with the call's row locked.

    Success, a permanent failure and giving up after ``MAX_ATTEMPTS`` finish the call; a
    transient failure schedules the next attempt after an exponential backoff (the periodic
    sweep runs it if the broker loses the delayed task).
    """
    now = now or timezone.now()
    verdict, delay = call.apply_attempt(result, now=now)
    call.log_attempt(result, at=now)
    call.save()
    if verdict is Verdict.RETRY:
        enqueue_after_commit(call.ATTEMPT_TASK, call.pk, countdown=delay)
    return verdict
