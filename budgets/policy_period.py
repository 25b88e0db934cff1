"""A policy replay over the whole period (DESIGN.md §3.7, docs/replay.md): a member's tier at
the period's start, at each of their charges' times in the period, and at its end, each from
what was known then, with the live recalculation's own pure function
(``budget_math.compute_budget``). From that path: the worst tier over the period (the charges'
times and the end; the start is where it began) and the tiers the member entered (a tier
different from the one just before).

A charge's time is when it was recorded (``recorded_at``: when the live path would have
recalculated the member; for a charge sent live, the moment it happened). At a moment only
the activity and charges recorded by then count; a charge released later still counts then.
Framework-free apart from the budget math, so the worked example in the tests is the rule.
"""

from __future__ import annotations

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
    return (
        budget_math.compute_budget(
            policy,
            at,
            activity_times=[occurred for occurred, recorded in activity if recorded <= at],
            charges=[c.fact for c in charges if c.recorded_at <= at],
        )
        .rounded()
        .tier
    )


def tier_path(
    policy: budget_math.Policy,
    start: datetime,
    end: datetime,
    *,
    activity: Sequence[tuple[datetime, datetime]],
    charges: Sequence[KnownCharge],
) -> TierPath:
    first = previous = tier_at(policy, start, activity, charges)
    worst: Tier | None = None
    entered: list[Tier] = []
    for at in moments(start, end, charges):
        tier = tier_at(policy, at, activity, charges)
        if worst is None or tier.rank > worst.rank:
            worst = tier
        if tier != previous and tier not in entered:
            entered.append(tier)
        previous = tier
    assert worst is not None  # the end is always a moment
    return TierPath(start=first, worst=worst, entered=tuple(entered))
