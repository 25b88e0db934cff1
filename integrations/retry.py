"""The retry policy of every outbound call (forum actions, our webhook deliveries), framework-free.

After each attempt a call either succeeded, failed for good (a permanent error), gave up (the
last allowed attempt failed) or waits for another try after an exponential backoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    GAVE_UP = "gave_up"
    RETRY = "retry"

    @property
    def finished(self) -> bool:
        return self is not Verdict.RETRY


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt at an outbound call came back with."""

    ok: bool
    status_code: int | None = None
    error: str = ""
    permanent: bool = False
    duration_ms: int = 0


def backoff_seconds(attempt: int, *, base: float = 5.0, cap: float = 3600.0) -> float:
    """Delay before retry number ``attempt`` (1-based): 5 s, 10 s, 20 s, ... capped at an hour."""
    if attempt < 1:
        return 0.0
    return float(min(cap, base * 2 ** (attempt - 1)))


def verdict_after(
    result: AttemptResult, *, attempt: int, max_attempts: int, retry_permanent: bool = False
) -> Verdict:
    """Where attempt number ``attempt`` (1-based) leaves the call.

    ``retry_permanent`` treats a permanent error like a transient one (our webhook receivers
    are retried whatever they answer; the forum is not asked again after a 4xx).
    """
    if result.ok:
        return Verdict.SUCCEEDED
    if result.permanent and not retry_permanent:
        return Verdict.FAILED
    if attempt >= max_attempts:
        return Verdict.GAVE_UP
    return Verdict.RETRY
