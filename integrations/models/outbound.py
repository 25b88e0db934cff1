"""The retry state every outbound call shares (a forum action, one of our webhook deliveries).

A call is a row: it starts *pending*, and each attempt (logged in its own attempt row) moves it
to *succeeded*, *failed* (permanent), *gave up* (the last allowed attempt failed) or *retrying*
(another try after a backoff). The concrete tables name their states in their own words
(``ActionStatus``, ``WebhookStatus``); the class attributes below say which word is which.
``integrations.outbound.record_attempt`` is the one place an attempt is applied.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar, Self

from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.retry import AttemptResult, Verdict, backoff_seconds, verdict_after


class OutboundCall(models.Model):
    # Each concrete call redeclares ``status`` with its own choices (same column).
    status = models.CharField(max_length=10, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    # The concrete table's word for each state.
    PENDING: ClassVar[str]
    RETRYING: ClassVar[str]
    SUCCEEDED: ClassVar[str]
    FAILED: ClassVar[str]
    GAVE_UP: ClassVar[str]
    MAX_ATTEMPTS: ClassVar[int]
    # The registered Celery task that makes one attempt, given the call's id.
    ATTEMPT_TASK: ClassVar[str]
    # Retry permanent errors too (until MAX_ATTEMPTS) instead of failing at once.
    RETRY_PERMANENT_ERRORS: ClassVar[bool] = False
    # A sweep runs what the broker may have lost: retries overdue by this much, and calls
    # still pending this long after they were created.
    SWEEP_RETRY_GRACE: ClassVar[timedelta] = timedelta(seconds=30)
    SWEEP_PENDING_GRACE: ClassVar[timedelta] = timedelta(seconds=60)

    class Meta:
        abstract = True

    @classmethod
    def open_statuses(cls) -> tuple[str, str]:
        """The states in which another attempt may be made."""
        return (cls.PENDING, cls.RETRYING)

    @classmethod
    def due(cls, *, now: datetime | None = None) -> models.QuerySet[Self]:
        """Calls whose attempt should have happened by now (for the periodic sweep)."""
        now = now or timezone.now()
        return cls._default_manager.filter(
            Q(status=cls.RETRYING, next_attempt_at__lte=now - cls.SWEEP_RETRY_GRACE)
            | Q(status=cls.PENDING, created_at__lte=now - cls.SWEEP_PENDING_GRACE)
        )

    def apply_attempt(self, result: AttemptResult, *, now: datetime) -> tuple[Verdict, float]:
        """Count one attempt and move to the state it leads to; returns the verdict and, for a
        retry, its delay in seconds. The caller logs the attempt and saves."""
        self.attempts += 1
        self.last_status_code = result.status_code
        self.last_error = result.error[:500]
        verdict = verdict_after(
            result,
            attempt=self.attempts,
            max_attempts=self.MAX_ATTEMPTS,
            retry_permanent=self.RETRY_PERMANENT_ERRORS,
        )
        delay = 0.0
        if verdict is Verdict.RETRY:
            delay = backoff_seconds(self.attempts)
            self.status = self.RETRYING
            self.next_attempt_at = now + timedelta(seconds=delay)
        else:
            self.status = {
                Verdict.SUCCEEDED: self.SUCCEEDED,
                Verdict.FAILED: self.FAILED,
                Verdict.GAVE_UP: self.GAVE_UP,
            }[verdict]
            self.next_attempt_at = None
            self.finish(now=now, verdict=verdict)
        return verdict, delay

    def finish(self, *, now: datetime, verdict: Verdict) -> None:
        """Hook: stamp the end of the call (concrete tables keep different timestamps)."""

    def log_attempt(self, result: AttemptResult, *, at: datetime) -> None:
        """Write the attempt row for attempt number ``self.attempts``."""
        raise NotImplementedError


class OutboundAttempt(models.Model):
    """One logged try at an outbound call."""

    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True
