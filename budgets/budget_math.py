"""The member forgiveness budget (DESIGN.md §3.3). Framework-free: imports nothing from Django.

One pure function, :func:`compute_budget`, defines the numbers for one member at one time from
their history. The bulk recalculation computes the same totals set-based in SQL and finishes
them with :func:`budget_from_totals`, the very function ``compute_budget`` ends with; a
property-based test holds the two paths to the same result.

Exact decimal arithmetic throughout (``community.tiers.as_decimal`` refuses floats), so that
``(1 - 0.95) * 200`` is exactly 10 and a ratio of exactly 0.5 is *warning*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from community.problems import Problem
from community.tiers import ONE, ZERO, Tier, as_decimal, tier_for

# Stored precision of the snapshot numbers (the tier is decided on the exact values).
POINTS_PLACES = Decimal("0.0001")
RATIO_PLACES = Decimal("0.000001")
COST_PLACES = Decimal("0.01")

DAY = timedelta(days=1)

# --- Policy ---------------------------------------------------------------------------------

SEVERITIES = ("minor", "moderate", "severe")
DEFAULT_COSTS: dict[str, Decimal] = {
    "minor": Decimal(1),
    "moderate": Decimal(3),
    "severe": Decimal(8),
}
DEFAULT_WINDOW_DAYS = 30
DEFAULT_MEMBER_TARGET = Decimal("0.95")
DEFAULT_FLOOR_POINTS = Decimal(10)

MAX_WINDOW_DAYS = 365
MAX_COST = Decimal(1000)
MAX_FLOOR_POINTS = Decimal(100_000)
MAX_COOLDOWN_HOURS = 24 * 14
MAX_APPEAL_DAYS = 365


class Action:
    """Names of the humane tier actions. Never a ban: a ban is always a human decision."""

    PRIVATE_NUDGE = "private_nudge"
    NOTIFY_MODERATORS = "notify_moderators"
    FACILITATOR_CHECKIN = "facilitator_checkin"
    MEMBER_COOLDOWN = "member_cooldown"

    # Their words are ``community.words.TIER_ACTION_WORDS``.
    ALL = (PRIVATE_NUDGE, NOTIFY_MODERATORS, FACILITATOR_CHECKIN, MEMBER_COOLDOWN)


ACTION_TIERS = (Tier.WARNING, Tier.CRITICAL, Tier.EXHAUSTED)
DEFAULT_TIER_ACTIONS: dict[str, list[str]] = {
    Tier.WARNING: [Action.PRIVATE_NUDGE],
    Tier.CRITICAL: [Action.PRIVATE_NUDGE, Action.NOTIFY_MODERATORS],
    Tier.EXHAUSTED: [Action.PRIVATE_NUDGE, Action.NOTIFY_MODERATORS, Action.FACILITATOR_CHECKIN],
}


@dataclass(frozen=True)
class Policy:
    """The numbers of a ForgivenessPolicy that the math needs."""

    window_days: int = DEFAULT_WINDOW_DAYS
    member_target: Decimal | None = DEFAULT_MEMBER_TARGET
    floor_points: Decimal = DEFAULT_FLOOR_POINTS

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)


def validate_policy(
    *,
    window_days: object,
    member_target: object,
    floor_points: object,
    costs: object,
    tier_actions: object,
    cooldown_hours: object,
    appeal_days: object,
    friction_kinds: Iterable[str],
) -> dict[str, Problem]:
    """Every problem with a proposed policy, as {field: problem}; empty means valid. The
    problems are said in words by ``budgets.policy_words``."""
    errors: dict[str, Problem] = {}
    window = _as_int(window_days)
    if window is None or not 1 <= window <= MAX_WINDOW_DAYS:
        errors["window_days"] = Problem("window_days", {"max": MAX_WINDOW_DAYS})
    if member_target not in (None, ""):
        target = _as_exact(member_target)
        if target is None or not ZERO < target < ONE:
            errors["member_target"] = Problem("member_target")
    floor = _as_exact(floor_points)
    if floor is None or not ZERO < floor <= MAX_FLOOR_POINTS:
        errors["floor_points"] = Problem("floor_range", {"max": MAX_FLOOR_POINTS})
    elif floor != floor.quantize(COST_PLACES):
        errors["floor_points"] = Problem("floor_places")
    kinds = set(friction_kinds)
    if not isinstance(costs, Mapping):
        errors["costs"] = Problem("costs_shape")
    else:
        for kind, by_severity in costs.items():
            if kind not in kinds:
                errors["costs"] = Problem(
                    "cost_kind", {"kind": kind, "kinds": ", ".join(sorted(kinds))}
                )
                break
            if not isinstance(by_severity, Mapping) or set(by_severity) != set(SEVERITIES):
                errors["costs"] = Problem(
                    "cost_severities", {"kind": kind, "severities": ", ".join(SEVERITIES)}
                )
                break
            bad = [s for s, v in by_severity.items() if not _cost_ok(v)]
            if bad:
                errors["costs"] = Problem(
                    "cost_value", {"max": MAX_COST, "kind": kind, "severities": ", ".join(bad)}
                )
                break
    if not isinstance(tier_actions, Mapping):
        errors["tier_actions"] = Problem("tiers_shape")
    else:
        for tier, actions in tier_actions.items():
            if tier not in ACTION_TIERS:
                errors["tier_actions"] = Problem(
                    "tier_unknown", {"tiers": ", ".join(ACTION_TIERS), "tier": tier}
                )
                break
            if not isinstance(actions, list | tuple) or any(a not in Action.ALL for a in actions):
                errors["tier_actions"] = Problem("actions", {"actions": ", ".join(Action.ALL)})
                break
    hours = _as_int(cooldown_hours)
    if hours is None or not 1 <= hours <= MAX_COOLDOWN_HOURS:
        errors["cooldown_hours"] = Problem("cooldown_hours", {"max": MAX_COOLDOWN_HOURS})
    days = _as_int(appeal_days)
    if days is None or not 1 <= days <= MAX_APPEAL_DAYS:
        errors["appeal_days"] = Problem("appeal_days", {"max": MAX_APPEAL_DAYS})
    return errors


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _as_exact(value: object) -> Decimal | None:
    if isinstance(value, bool | float) or not isinstance(value, int | str | Decimal):
        return None
    try:
        number = as_decimal(value.strip() if isinstance(value, str) else value)
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _cost_ok(value: object) -> bool:
    cost = _as_exact(value)
    return cost is not None and ZERO <= cost <= MAX_COST and cost == cost.quantize(COST_PLACES)


# --- The budget -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeFact:
    """A charge as the math sees it. ``released_at`` is when it was reversed or forgiven."""

    cost: Decimal
    occurred_at: datetime
    released_at: datetime | None = None

    def active_at(self, at: datetime) -> bool:
        return self.released_at is None or self.released_at > at


@dataclass(frozen=True)
class Totals:
    """What the SQL aggregate returns per member (and what compute_budget derives)."""

    activity: int
    spent: Decimal
    spent_24h: Decimal
    oldest_active: datetime | None
    # When the totals next change by themselves (DESIGN.md §3.8): the oldest activity event in
    # the window, the oldest active charge of the last 24 hours, and the earliest activity or
    # active charge dated after ``at`` (it enters the window then).
    oldest_activity: datetime | None = None
    oldest_active_24h: datetime | None = None
    next_entry: datetime | None = None


@dataclass(frozen=True)
class Budget:
    activity: int
    allowance: Decimal
    spent: Decimal
    remaining: Decimal
    remaining_ratio: Decimal
    tier: Tier
    recovers_at: datetime | None
    burn_rate_24h: Decimal
    next_change_at: datetime | None = None

    def rounded(self) -> Budget:
        """The numbers as stored and shown (the tier is already decided on exact values).
        Half away from zero, like PostgreSQL's ``round(numeric, n)``."""
        return Budget(
            activity=self.activity,
            allowance=self.allowance.quantize(POINTS_PLACES, ROUND_HALF_UP),
            spent=self.spent.quantize(POINTS_PLACES, ROUND_HALF_UP),
            remaining=self.remaining.quantize(POINTS_PLACES, ROUND_HALF_UP),
            remaining_ratio=self.remaining_ratio.quantize(RATIO_PLACES, ROUND_HALF_UP),
            tier=self.tier,
            recovers_at=self.recovers_at,
            burn_rate_24h=self.burn_rate_24h.quantize(RATIO_PLACES, ROUND_HALF_UP),
            next_change_at=self.next_change_at,
        )


def window_bounds(policy: Policy, at: datetime) -> tuple[datetime, datetime]:
    """The window (start, end]: behaviour after ``start`` and at or before ``end`` counts."""
    return at - policy.window, at


def allowance_for(policy: Policy, activity: int) -> Decimal:
    if policy.member_target is None:
        return policy.floor_points
    earned = (ONE - as_decimal(policy.member_target)) * activity
    return max(policy.floor_points, earned)


def totals_for(
    policy: Policy, at: datetime, activity_times: Iterable[datetime], charges: Iterable[ChargeFact]
) -> Totals:
    start, end = window_bounds(policy, at)
    day_start = at - DAY
    times = [t for t in activity_times if t > start]
    in_window = [t for t in times if t <= end]
    entries = [t for t in times if t > end]
    spent = ZERO
    spent_24h = ZERO
    oldest: datetime | None = None
    oldest_24h: datetime | None = None
    for charge in charges:
        if charge.occurred_at <= start or not charge.active_at(at):
            continue
        if charge.occurred_at > end:
            entries.append(charge.occurred_at)
            continue
        cost = as_decimal(charge.cost)
        spent += cost
        if charge.occurred_at > day_start:
            spent_24h += cost
            if oldest_24h is None or charge.occurred_at < oldest_24h:
                oldest_24h = charge.occurred_at
        if oldest is None or charge.occurred_at < oldest:
            oldest = charge.occurred_at
    return Totals(
        activity=len(in_window),
        spent=spent,
        spent_24h=spent_24h,
        oldest_active=oldest,
        oldest_activity=min(in_window, default=None),
        oldest_active_24h=oldest_24h,
        next_entry=min(entries, default=None),
    )


def next_change_at(policy: Policy, totals: Totals) -> datetime | None:
    """When this budget next changes without a new event (DESIGN.md §3.8), or None for never.

    The earliest of: the oldest active charge leaving the window (``recovers_at``), the oldest
    activity event leaving it, the oldest charge of the last day leaving the 24-hour burn rate,
    and the next dated activity or charge entering the window. Activity counts even while the
    allowance is at the floor, because the snapshot stores and shows the activity count: so an
    incremental run stays equal, field for field, to a full one."""
    moments = [
        totals.oldest_active + policy.window if totals.oldest_active is not None else None,
        totals.oldest_activity + policy.window if totals.oldest_activity is not None else None,
        totals.oldest_active_24h + DAY if totals.oldest_active_24h is not None else None,
        totals.next_entry,
    ]
    return min((m for m in moments if m is not None), default=None)


def budget_from_totals(policy: Policy, totals: Totals) -> Budget:
    allowance = allowance_for(policy, totals.activity)
    remaining = allowance - totals.spent
    ratio = remaining / allowance
    return Budget(
        activity=totals.activity,
        allowance=allowance,
        spent=totals.spent,
        remaining=remaining,
        remaining_ratio=ratio,
        tier=tier_for(ratio),
        recovers_at=(
            totals.oldest_active + policy.window if totals.oldest_active is not None else None
        ),
        burn_rate_24h=totals.spent_24h * policy.window_days / allowance,
        next_change_at=next_change_at(policy, totals),
    )


def compute_budget(
    policy: Policy,
    at: datetime,
    *,
    activity_times: Iterable[datetime],
    charges: Iterable[ChargeFact],
) -> Budget:
    """Member m's budget at time ``at`` (DESIGN.md §3.3), from their activity and charges."""
    return budget_from_totals(policy, totals_for(policy, at, activity_times, charges))


def budget_series(
    policy: Policy,
    times: Iterable[datetime],
    *,
    activity_times: Iterable[datetime],
    charges: Iterable[ChargeFact],
) -> list[tuple[datetime, Budget]]:
    """The budget at each of ``times``, from the ledger (the chart on *My budget*)."""
    activity = list(activity_times)
    facts = list(charges)
    return [(t, compute_budget(policy, t, activity_times=activity, charges=facts)) for t in times]


def leaves_window_at(policy: Policy, occurred_at: datetime) -> datetime:
    """When a charge for behaviour at ``occurred_at`` stops counting."""
    return occurred_at + policy.window


# --- Words (every number a member sees is explained) ----------------------------------------

TIER_WORDS: dict[str, str] = {
    Tier.HEALTHY: "Plenty of room. Nothing to do.",
    Tier.WARNING: (
        "Some of your room is used. It comes back on its own as charges leave the window."
    ),
    Tier.CRITICAL: "Little room left for now. It regenerates as older charges leave the window.",
    Tier.EXHAUSTED: (
        "Your room is used up for now. Nothing is automatic beyond the steps below; a person "
        "looks at every case, and the budget regenerates as charges leave the window."
    ),
}
