"""Read-side: a member's budget explained (numbers, charges, chart) and the moderator table.

Every number shown to a member is computed here with the pure function from their own ledger,
so the page can say exactly why the budget is what it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from budgets import budget_math
from budgets.budget_math import Budget, ChargeFact
from budgets.models import (
    Appeal,
    AppealStatus,
    Charge,
    ForgivenessPolicy,
    MemberBudget,
    MemberCooldown,
    Notice,
    TierTransition,
)
from budgets.services import get_policy
from budgets.tier_words import tier_sentence
from community import words
from community.models import ConductEvent, Membership
from community.tiers import HEALTHY_ABOVE, WARNING_ABOVE
from community.vocabulary import ACTIVITY_KINDS


@dataclass(frozen=True)
class ChargeLine:
    charge: Charge
    in_window: bool
    counts: bool
    leaves_at: datetime
    appeal: Appeal | None
    can_appeal: bool
    appeal_until: datetime


@dataclass(frozen=True)
class ChartPoint:
    at: datetime
    x: float
    y: float
    ratio: Decimal
    remaining: Decimal


@dataclass(frozen=True)
class Chart:
    points: list[ChartPoint]
    width: int
    height: int
    guides: list[tuple[str, float]]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def summary(self) -> str:
        if not self.points:
            return _("No history yet.")
        first, last = self.points[0], self.points[-1]
        return ngettext(
            "Remaining budget over the last %(days)s day: from %(first)s to %(last)s of the "
            "allowance.",
            "Remaining budget over the last %(days)s days: from %(first)s to %(last)s of the "
            "allowance.",
            len(self.points) - 1,
        ) % {
            "days": len(self.points) - 1,
            "first": _percent(first.ratio),
            "last": _percent(last.ratio),
        }


def _percent(ratio: Decimal) -> str:
    return words.percent(ratio, 0)


@dataclass(frozen=True)
class Explanation:
    membership: Membership
    policy: ForgivenessPolicy
    budget: Budget
    at: datetime
    window_start: datetime
    tier_words: str
    lines: list[ChargeLine]
    chart: Chart
    notices: list[Notice]
    # The member's latest pauses on posting, newest first (running, lifted early or ended).
    pauses: list[MemberCooldown]
    # The latest tier change, when it came from imported history alone and the member is still
    # in the tier it reached (recorded quietly: budgets.imported_history).
    quiet_move: TierTransition | None = None

    @property
    def pause_now(self) -> MemberCooldown | None:
        return next((p for p in self.pauses if p.is_running(self.at)), None)

    @property
    def counting(self) -> list[ChargeLine]:
        return [line for line in self.lines if line.in_window]

    @property
    def used_percent(self) -> int:
        used = self.budget.spent / self.budget.allowance * 100
        return int(max(Decimal(0), min(Decimal(100), used)))

    @property
    def left_percent(self) -> int:
        """The share of the allowance left, 0 to 100: what the meter fills (it shows what is
        left, like the number beside it)."""
        left = self.budget.remaining / self.budget.allowance * 100
        return int(max(Decimal(0), min(Decimal(100), left)).quantize(Decimal(1)))

    @property
    def burn_words(self) -> str:
        """The last day's pace in words ("at this pace the room for the month would be gone in
        12 days")."""
        return words.burn_rate(self.budget.burn_rate_24h, window_days=self.policy.window_days)

    @property
    def per_post(self) -> Decimal | None:
        target = self.policy.member_target
        return None if target is None else 1 - target

    @property
    def earned_allowance(self) -> Decimal | None:
        target = self.policy.member_target
        if target is None:
            return None
        return ((1 - target) * self.budget.activity).normalize()


CHART_W, CHART_H, CHART_PAD = 600, 160, 10


def _y(ratio: Decimal) -> float:
    clipped = max(Decimal(-1), min(Decimal(1), ratio))
    return CHART_PAD + float((1 - clipped) / 2) * (CHART_H - 2 * CHART_PAD)


def build_chart(
    policy: budget_math.Policy,
    now: datetime,
    *,
    activity: list[datetime],
    facts: list[ChargeFact],
) -> Chart:
    days = policy.window_days
    times = [now - timedelta(days=days - i) for i in range(days + 1)]
    series = budget_math.budget_series(policy, times, activity_times=activity, charges=facts)
    step = (CHART_W - 2 * CHART_PAD) / max(1, days)
    points = [
        ChartPoint(
            at=t,
            x=CHART_PAD + i * step,
            y=_y(b.remaining_ratio),
            ratio=b.remaining_ratio,
            remaining=b.remaining,
        )
        for i, (t, b) in enumerate(series)
    ]
    guides = [(f"{limit * 100:.0f} %", _y(limit)) for limit in (HEALTHY_ABOVE, WARNING_ABOVE)] + [
        ("0", _y(Decimal(0)))
    ]
    return Chart(points=points, width=CHART_W, height=CHART_H, guides=guides)


def explain_budget(*, membership: Membership, now: datetime | None = None) -> Explanation:
    """The member's budget now, each charge with its reason and when it leaves the window,
    and the budget over the last window (from the ledger)."""
    now = now or timezone.now()
    policy = get_policy(community=membership.community)
    math = policy.math()
    chart_start = now - 2 * math.window
    activity = list(
        ConductEvent.objects.filter(
            member=membership, kind__in=ACTIVITY_KINDS, occurred_at__gt=chart_start
        ).values_list("occurred_at", flat=True)
    )
    charges = list(
        Charge.objects.filter(membership=membership, occurred_at__gt=chart_start)
        .select_related("forgiveness__by", "appeal", "event")
        .order_by("-occurred_at", "-pk")
    )
    facts = [
        ChargeFact(
            cost=c.cost,
            occurred_at=c.occurred_at,
            released_at=c.forgiveness.at if hasattr(c, "forgiveness") else None,
        )
        for c in charges
    ]
    budget = budget_math.compute_budget(math, now, activity_times=activity, charges=facts)
    window_start, _window_end = budget_math.window_bounds(math, now)
    lines = []
    for charge, fact in zip(charges, facts, strict=True):
        in_window = window_start < charge.occurred_at <= now
        appeal = getattr(charge, "appeal", None)
        until = policy.appeal_deadline(charge.recorded_at)
        lines.append(
            ChargeLine(
                charge=charge,
                in_window=in_window,
                counts=in_window and fact.active_at(now),
                leaves_at=budget_math.leaves_window_at(math, charge.occurred_at),
                appeal=appeal,
                can_appeal=appeal is None and fact.released_at is None and now <= until,
                appeal_until=until,
            )
        )
    return Explanation(
        membership=membership,
        policy=policy,
        budget=budget,
        at=now,
        window_start=window_start,
        tier_words=tier_sentence(budget.tier),
        lines=lines,
        chart=build_chart(math, now, activity=activity, facts=facts),
        notices=list(Notice.objects.for_member(membership)[:10]),
        pauses=list(MemberCooldown.objects.filter(membership=membership)[:5]),
        quiet_move=_quiet_move(membership, budget.tier),
    )


def _quiet_move(membership: Membership, tier: str) -> TierTransition | None:
    latest = TierTransition.objects.filter(membership=membership).first()
    if latest is None or not latest.from_imported_history or latest.to_tier != tier:
        return None
    return latest


def charge_line(*, charge: Charge, now: datetime | None = None) -> ChargeLine:
    """One line of the ledger (for the htmx swap after an appeal)."""
    now = now or timezone.now()
    policy = get_policy(community=charge.community)
    math = policy.math()
    released = getattr(charge, "forgiveness", None)
    appeal = Appeal.objects.filter(charge=charge).first()
    window_start, _window_end = budget_math.window_bounds(math, now)
    in_window = window_start < charge.occurred_at <= now
    until = policy.appeal_deadline(charge.recorded_at)
    return ChargeLine(
        charge=charge,
        in_window=in_window,
        counts=in_window and released is None,
        leaves_at=budget_math.leaves_window_at(math, charge.occurred_at),
        appeal=appeal,
        can_appeal=appeal is None and released is None and now <= until,
        appeal_until=until,
    )


def moderator_extras(*, membership: Membership) -> dict[str, object]:
    return {
        "transitions": list(TierTransition.objects.filter(membership=membership)[:50]),
        "older_charges": Charge.objects.filter(membership=membership)
        .select_related("forgiveness")
        .order_by("-occurred_at")[:100],
        "snapshot": MemberBudget.objects.filter(membership=membership).first(),
    }


# --- The moderator table --------------------------------------------------------------------


def pending_appeals_count(*, community_id: int) -> int:
    return Appeal.objects.filter(community_id=community_id, status=AppealStatus.PENDING).count()
