"""Imported history never pages anyone now, member budgets too (DESIGN.md §3.7, docs/replay.md).

An event imported as history (through the batch API or ``replay_discourse``, with a
``recorded_at`` more than ten minutes before it arrived) counts in its member's budget like any
event: it happened. But when a recalculation moves a member to another tier, the move is only
*announced* (notice, e-mail, pause, "tier changed" webhook) when the member's **live tier** (the
tier without the charges from imported history) moved the same way. Otherwise it is recorded
as it is, quietly, with ``from_imported_history`` set and no action.

The live tier before the move is the previous transition's ``live_tier`` (blank: its
``to_tier``), so a member who reached warning through imported history and then reaches
critical through a live charge is told, and one who reached warning through news and then
critical through history is not. Both engines of the recalculation decide here, on the members
whose tier changed only: two small queries per chunk that has transitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db.models import Sum

from budgets import budget_math
from budgets.models import Charge, ForgivenessPolicy, TierTransition
from community.contract.hooks import imported_history_rows
from community.models import Community
from community.tiers import ZERO, is_worse, tier_for


def live_tier(*, allowance: Decimal, spent: Decimal, imported_spent: Decimal) -> str:
    """The tier of a budget with the charges from imported history left out."""
    if allowance <= ZERO:
        return tier_for(ZERO)
    return tier_for((allowance - (spent - imported_spent)) / allowance)


def is_quiet(*, from_tier: str, to_tier: str, live_before: str, live_after: str) -> bool:
    """Whether a move from ``from_tier`` to ``to_tier`` comes from imported history alone: the
    live tier did not move the same way (a worsening the live tier did not share, or a recovery
    from a tier that was never announced)."""
    if is_worse(to_tier, from_tier):
        return not is_worse(live_after, live_before)
    return not is_worse(live_before, live_after)


def imported_spent(
    *, community: Community, policy: ForgivenessPolicy, at: datetime, membership_ids: Sequence[int]
) -> dict[int, Decimal] | None:
    """Per member, the points that charges from imported history take in the window at ``at``
    (counted as the recalculation counts: in the window, not forgiven or reversed); None when
    nothing installed knows imported history."""
    rows = imported_history_rows(community.pk, "event_id")
    if rows is None:
        return None
    start, end = budget_math.window_bounds(policy.math(), at)
    totals = (
        Charge.objects.filter(
            rows,
            community=community,
            membership_id__in=membership_ids,
            occurred_at__gt=start,
            occurred_at__lte=end,
            forgiveness__isnull=True,
        )
        .values("membership_id")
        .annotate(total=Sum("cost"))
        .values_list("membership_id", "total")
    )
    return dict(totals)


def mark_quiet_transitions(
    *,
    community: Community,
    policy: ForgivenessPolicy,
    at: datetime,
    transitions: Sequence[TierTransition],
) -> None:
    """Set ``live_tier`` on each new transition and mark (and strip the actions of) those that
    come from imported history alone. Called before they are stored."""
    if not transitions:
        return
    ids = [t.membership_id for t in transitions]
    spent = imported_spent(community=community, policy=policy, at=at, membership_ids=ids)
    if spent is None:
        return
    earlier = {
        (membership_id, sequence): tier
        for membership_id, sequence, tier in TierTransition.objects.filter(
            membership_id__in=ids, live_tier__gt=""
        ).values_list("membership_id", "sequence", "live_tier")
    }
    for t in transitions:
        after = live_tier(
            allowance=t.allowance, spent=t.spent, imported_spent=spent.get(t.membership_id, ZERO)
        )
        before = earlier.get((t.membership_id, t.sequence - 1)) or t.from_tier
        t.live_tier = "" if after == t.to_tier else after
        if is_quiet(from_tier=t.from_tier, to_tier=t.to_tier, live_before=before, live_after=after):
            t.from_imported_history = True
            t.actions = []
