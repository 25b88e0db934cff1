"""The one way work is enqueued: by the task's registered name, after the caller's transaction
commits, catching only broker errors.

Why by name: a service never imports a ``tasks`` module (tasks import services), so there is no
cycle to dodge with a function-local import. Why after commit: a worker must never read a row
that is not committed yet, nor act on a change that was rolled back. Why only broker errors: a
broker outage is transient and every piece of work here is also picked up by a periodic sweep
(the outbox, the recalculation flags, the due forum calls), so losing the message loses nothing;
any other error is a bug and must surface.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from celery import signature
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What publishing raises when the broker cannot be reached: kombu wraps connection failures in
# OperationalError once its retries are spent; a refused socket can surface as OSError.
BROKER_ERRORS: tuple[type[BaseException], ...] = (OperationalError, OSError)


def enqueue_after_commit(
    task_name: str,
    *args: Any,
    countdown: float | None = None,
    eta: datetime | None = None,
) -> None:
    """Send ``task_name(*args)`` once the current transaction commits (at once outside one).

    A rolled-back transaction sends nothing. ``countdown`` (seconds) or ``eta`` delay the task.
    """
    transaction.on_commit(lambda: _send(task_name, args, countdown=countdown, eta=eta))


def _send(
    task_name: str, args: tuple[Any, ...], *, countdown: float | None, eta: datetime | None
) -> None:
    options: dict[str, Any] = {}
    if countdown is not None:
        options["countdown"] = countdown
    if eta is not None:
        options["eta"] = eta
    try:
        # A signature by name runs through the registered task when there is one, so eager
        # mode (tests, CELERY_TASK_ALWAYS_EAGER) behaves exactly like a real worker.
        signature(task_name, args=args).apply_async(**options)
    except BROKER_ERRORS:
        logger.warning(
            "could not enqueue %s: the broker is unreachable; the periodic sweep will pick the "
            "work up",
            task_name,
        )
