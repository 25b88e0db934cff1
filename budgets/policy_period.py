"""A policy replay over the whole period (DESIGN.md §3.7, docs/replay.md): a member's tier at
the period's start, at each of their charges' times in the period, and at its end, each from
what was known then, with the live recalculation's own pure function
(``budget_math.compute_budget``). From that path: the worst tier over the period (the charges'
times and the end; the start is where it began) and the tiers the member entered (a tier
different from the one just before).

A charge's time is when it was recorded (``recorded_at``: when the live path would have
recalculated the member; for a charge sent live, the moment it happened). At a moment only
the activity and charges recorded by then count; a charge released later still counts then.
A moment with no charge known yet is healthy without working it out: nothing spent leaves the
whole allowance (at least the floor, which is above zero), a ratio of 1. Framework-free apart
from the budget math, so the worked example in the tests is the rule.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from budgets import budget_math
from community.tiers import Tier


@dataclass(frozen=True)
class KnownCharge:
    fact: budget_math.ChargeFact
    recorded_at: datetime


@dataclass(frozen=True)
class TierPath:
    start: Tier
    worst: Tier
    # Each tier entered during the period, once, in the order first entered.
    entered: tuple[Tier, ...]


def moments(start: datetime, end: datetime, charges: Sequence[KnownCharge]) -> list[datetime]:
    """The charges' times in (start, end], then the end, each once and in order."""
    times = {c.recorded_at for c in charges if start < c.recorded_at <= end}
    return sorted(times | {end})


def tier_at(
    policy: budget_math.Policy,
    at: datetime,
    activity: Sequence[tuple[datetime, datetime]],
    charges: Sequence[KnownCharge],
) -> Tier:
    """The tier at ``at`` from what was recorded by then (``activity``: (occurred, recorded))."""
    known = [c.fact for c in charges if c.recorded_at <= at]
    if not known:
        return Tier.HEALTHY
    return _tier(policy, at, [occurred for occurred, recorded in activity if recorded <= at], known)


def _tier(
    policy: budget_math.Policy,
    at: datetime,
    activity_times: list[datetime],
    charges: list[budget_math.ChargeFact],
) -> Tier:
    budget = budget_math.compute_budget(policy, at, activity_times=activity_times, charges=charges)
    return budget.rounded().tier


def tier_path(
    policy: budget_math.Policy,
    start: datetime,
    end: datetime,
    *,
    activity: Sequence[tuple[datetime, datetime]],
    charges: Sequence[KnownCharge],
) -> TierPath:
    if not charges:
        return TierPath(start=Tier.HEALTHY, worst=Tier.HEALTHY, entered=())
    # Sorted by when each became known, so what was known at a moment is a prefix.
    ordered = sorted(activity, key=lambda pair: pair[1])
    known_at = [recorded for _, recorded in ordered]
    occurred = [when for when, _ in ordered]
    by_record = sorted(charges, key=lambda c: c.recorded_at)
    charge_known_at = [c.recorded_at for c in by_record]
    facts = [c.fact for c in by_record]

    def tier(at: datetime) -> Tier:
        n = bisect_right(charge_known_at, at)
        if n == 0:
            return Tier.HEALTHY
        return _tier(policy, at, occurred[: bisect_right(known_at, at)], facts[:n])

    first = previous = tier(start)
    worst: Tier | None = None
    entered: list[Tier] = []
    for at in moments(start, end, charges):
        tier_then = tier(at)
        if worst is None or tier_then.rank > worst.rank:
            worst = tier_then
        if tier_then != previous and tier_then not in entered:
            entered.append(tier_then)
        previous = tier_then
    assert worst is not None  # the end is always a moment
    return TierPath(start=first, worst=worst, entered=tuple(entered))
