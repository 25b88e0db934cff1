"""The retry policy every outbound call shares (framework-free): backoff and the verdict after
each attempt."""

from __future__ import annotations

import pytest

from integrations.retry import AttemptResult, Verdict, backoff_seconds, verdict_after

TRANSIENT = AttemptResult(ok=False, status_code=503, error="HTTP 503")
PERMANENT = AttemptResult(ok=False, status_code=404, error="HTTP 404", permanent=True)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n) for n in range(0, 5)] == [0.0, 5.0, 10.0, 20.0, 40.0]
    assert backoff_seconds(30) == 3600.0


@pytest.mark.parametrize(
    ("result", "attempt", "verdict"),
    [
        (AttemptResult(ok=True, status_code=200), 1, Verdict.SUCCEEDED),
        (AttemptResult(ok=True, status_code=200), 6, Verdict.SUCCEEDED),
        (TRANSIENT, 1, Verdict.RETRY),
        (TRANSIENT, 5, Verdict.RETRY),
        (TRANSIENT, 6, Verdict.GAVE_UP),
        (PERMANENT, 1, Verdict.FAILED),
        (PERMANENT, 6, Verdict.FAILED),
    ],
)
def test_the_verdict_after_an_attempt(
    result: AttemptResult, attempt: int, verdict: Verdict
) -> None:
    assert verdict_after(result, attempt=attempt, max_attempts=6) is verdict


def test_a_call_that_retries_permanent_errors_only_gives_up() -> None:
    assert (
        verdict_after(PERMANENT, attempt=1, max_attempts=8, retry_permanent=True) is Verdict.RETRY
    )
    assert (
        verdict_after(PERMANENT, attempt=8, max_attempts=8, retry_permanent=True) is Verdict.GAVE_UP
    )


def test_only_a_retry_leaves_the_call_open() -> None:
    assert [v for v in Verdict if not v.finished] == [Verdict.RETRY]
