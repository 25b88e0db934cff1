"""Postmortem rules, framework-free (no Django): verifying a guardrail against its clause's
indicator, when reminders go and to whom, and what "on time" means.

Exact ``Decimal`` arithmetic through the contract's own SLI function (``community.contract.slo``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from community.contract.slo import sli as clause_sli


class Verdict(StrEnum):
    VERIFYING = "verifying"  # the window is still running and nothing has breached yet
    VERIFIED = "verified"  # the window is over and the SLI met the target over all of it
    BREACHED = "breached"  # the SLI fell below the target: the item reopens


@dataclass(frozen=True)
class VerificationResult:
    verdict: Verdict
    sli: Decimal | None


def verification_verdict(
    *, total: int, bad: int, target: Decimal, window_over: bool, min_bad_events: int
) -> VerificationResult:
    """Judge a guardrail over its verification window (``total`` and ``bad`` events counted from
    the moment it was marked done to now, or to the window's end).

    * Once the window is over: verified if the SLI meets the target (an SLI with no data is
      "no data", treated as healthy, DESIGN.md §3.1), else breached.
    * While it runs: breached as soon as the SLI is below the target **and** the window holds
      at least the clause's ``min_bad_events`` (its alerts' volume guard), so one flag in the
      first quiet hour does not reopen an item; otherwise still verifying.
    """
    value = clause_sli(total, bad)
    below = value is not None and value < target
    if window_over:
        return VerificationResult(Verdict.BREACHED if below else Verdict.VERIFIED, value)
    if below and bad >= min_bad_events:
        return VerificationResult(Verdict.BREACHED, value)
    return VerificationResult(Verdict.VERIFYING, value)


class Audience(StrEnum):
    FACILITATOR = "facilitator"
    MODERATORS = "moderators"


def first_reminder_at(*, due_at: datetime, created_at: datetime, every_hours: int) -> datetime:
    """The first reminder goes one interval before the postmortem is due (never before it
    exists)."""
    return max(created_at, due_at - timedelta(hours=every_hours))


def next_reminder_at(*, sent_at: datetime, every_hours: int) -> datetime:
    return sent_at + timedelta(hours=every_hours)


def reminder_audience(
    *, now: datetime, due_at: datetime, escalate_after_hours: int, has_facilitator: bool
) -> Audience:
    """Reminders go to the facilitator until the postmortem is ``escalate_after_hours`` past
    due, then to every moderator (at once to every moderator when nobody facilitated)."""
    if not has_facilitator or now >= due_at + timedelta(hours=escalate_after_hours):
        return Audience.MODERATORS
    return Audience.FACILITATOR


def on_time(*, due_at: datetime, published_at: datetime | None) -> bool:
    return published_at is not None and published_at <= due_at


def share(part: int, whole: int) -> Decimal | None:
    """``part / whole`` as an exact ratio (None when there is nothing to count)."""
    if whole == 0:
        return None
    return Decimal(part) / Decimal(whole)
