"""Replay of a draft forgiveness policy (issue 13, docs/replay.md): every member's budget at
the end of a past period under the live policy and under the draft, side by side; and over the
whole period (``policy_period``), each member's worst tier and the tiers they would have
entered, under each.

Both columns come from the live recalculation's own pure function
(``budget_math.compute_budget``) over what was known at that moment: activity and charges
recorded by then, a charge released (reversed, forgiven) only from its release. The live
column counts each charge at its stored cost, as the live recalculation does; the draft
column costs each event's charge by the draft's table (a moderator's own charge keeps its
cost). Members are those with an event or a charge in the longer of the two windows; their
cohort is DESIGN.md §3.6's (first event within 30 days: newcomers, over a year: long-standing,
else regulars), and a cohort of fewer than 5 members shows no figures. The period's members
are those with an event or a charge in the window of its start or after. Registered with the
replay in ``BudgetsConfig.ready``; it writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Min
from django.utils.translation import gettext as _

from budgets import budget_math
from budgets.models import Charge, ForgivenessPolicy
from budgets.policy_period import KnownCharge, TierPath, tier_path
from budgets.policy_words import not_settings, policy_problems
from budgets.services import POLICY_FIELDS, get_policy
from community.models import Community, ConductEvent, Membership
from community.tiers import Tier
from community.vocabulary import ACTIVITY_KINDS

NEWCOMER_DAYS, LONG_STANDING_DAYS = 30, 365
NEWCOMERS, REGULARS, LONG_STANDING = "newcomers", "regulars", "long_standing"
COHORTS = (NEWCOMERS, REGULARS, LONG_STANDING)
MIN_COHORT_MEMBERS = 5
MAX_ROWS = 200


def _draft(live: ForgivenessPolicy, changes: dict[str, Any]) -> dict[str, Any]:
    return {name: getattr(live, name) for name in POLICY_FIELDS} | changes


def check_draft(community_id: int, changes: dict[str, Any]) -> dict[str, str]:
    """The problems with a draft, as {field: message}, exactly as saving it would say."""
    if not isinstance(changes, dict) or not changes:
        return {"policy": _("Give the policy settings to try, as for changing the policy.")}
    unknown = sorted(set(changes) - set(POLICY_FIELDS))
    if unknown:
        return not_settings(unknown)
    live = get_policy(community=Community.objects.get(pk=community_id))
    return policy_problems(_draft(live, changes))


def _policy_of(values: dict[str, Any]) -> ForgivenessPolicy:
    """An unsaved policy holding the draft's values (its math and cost table)."""
    target = values["member_target"]
    return ForgivenessPolicy(
        window_days=int(values["window_days"]),
        member_target=None if target in (None, "") else Decimal(str(target)),
        floor_points=Decimal(str(values["floor_points"])),
        costs=values["costs"],
    )


def _cohort(first: datetime | None, at: datetime) -> str:
    if first is None or first > at - timedelta(days=NEWCOMER_DAYS):
        return NEWCOMERS
    if first <= at - timedelta(days=LONG_STANDING_DAYS):
        return LONG_STANDING
    return REGULARS


def _draft_cost(draft: ForgivenessPolicy, charge: Charge) -> Decimal:
    """A charge under the draft's costs; a moderator's own charge (no event) keeps its cost."""
    if charge.event_id is None:
        return Decimal(charge.cost)
    return draft.cost_for(charge.kind, charge.severity)


def _summary(policy: ForgivenessPolicy) -> dict[str, Any]:
    return {
        "window_days": policy.window_days,
        "member_target": None if policy.member_target is None else str(policy.member_target),
        "floor_points": str(policy.floor_points),
    }


def _period(
    start: datetime,
    at: datetime,
    maths: dict[str, Any],
    members: set[int],
    names: dict[int, str],
    activity: dict[int, list[tuple[datetime, datetime]]],
    facts: dict[str, dict[int, list[KnownCharge]]],
) -> dict[str, Any]:
    """Each member's tier path over (start, at] under the live policy and the draft: members
    by worst tier, members who entered each tier, and the members whose path would differ."""
    counts = {
        key: {side: dict.fromkeys((t.value for t in Tier), 0) for side in maths}
        for key in ("worst", "entered")
    }
    differ = []
    for member_id in sorted(members, key=lambda pk: (names.get(pk, ""), pk)):
        paths: dict[str, TierPath] = {
            side: tier_path(
                math,
                start,
                at,
                activity=activity.get(member_id, []),
                charges=facts[side].get(member_id, []),
            )
            for side, math in maths.items()
        }
        for side, path in paths.items():
            counts["worst"][side][path.worst.value] += 1
            for tier in path.entered:
                counts["entered"][side][tier.value] += 1
        live, draft = paths["live"], paths["draft"]
        if (live.worst, live.entered) != (draft.worst, draft.entered):
            differ.append(
                {
                    "member_id": member_id,
                    "name": names.get(member_id, ""),
                    "start_tier": live.start.value,
                    "live_worst": live.worst.value,
                    "draft_worst": draft.worst.value,
                    "live_entered": [t.value for t in live.entered],
                    "draft_entered": [t.value for t in draft.entered],
                }
            )
    return {
        "from": start.isoformat(),
        "to": at.isoformat(),
        "members": len(members),
        "worst": counts["worst"],
        "entered": counts["entered"],
        "differ_count": len(differ),
        "differ": differ[:MAX_ROWS],
    }


def replay_policy(
    community_id: int, changes: dict[str, Any], period_from: datetime, at: datetime
) -> dict[str, Any]:
    """The members at ``at`` under the live policy and under the draft, and over the period
    from ``period_from`` (see the module)."""
    community = Community.objects.get(pk=community_id)
    live = get_policy(community=community)
    draft = _policy_of(_draft(live, changes))
    live_math, draft_math = live.math(), draft.math()
    longest = max(live_math.window, draft_math.window)
    start = at - longest
    earliest = min(start, period_from - longest)
    known = {"community": community, "recorded_at__lte": at}
    activity: dict[int, list[datetime]] = defaultdict(list)
    known_activity: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    seen: set[int] = set()
    in_period: set[int] = set()
    for member_id, kind, occurred, recorded in ConductEvent.objects.filter(
        **known, member__isnull=False, occurred_at__gt=earliest, occurred_at__lte=at
    ).values_list("member_id", "kind", "occurred_at", "recorded_at"):
        in_period.add(member_id)
        if occurred > start:
            seen.add(member_id)
        if kind in ACTIVITY_KINDS:
            known_activity[member_id].append((occurred, recorded))
            if occurred > start:
                activity[member_id].append(occurred)
    all_charges = list(
        Charge.objects.filter(**known, occurred_at__gt=earliest, occurred_at__lte=at)
        .select_related("forgiveness")
        .order_by("occurred_at", "pk")
    )
    charges = [c for c in all_charges if c.occurred_at > start]
    seen |= {c.membership_id for c in charges}
    in_period |= {c.membership_id for c in all_charges}
    firsts = dict(
        ConductEvent.objects.filter(member_id__in=seen, **known, occurred_at__lte=at)
        .values("member_id")
        .annotate(first=Min("occurred_at"))
        .values_list("member_id", "first")
    )
    names = dict(Membership.objects.filter(pk__in=in_period).values_list("pk", "display_name"))
    known_facts: dict[str, dict[int, list[KnownCharge]]] = {"live": {}, "draft": {}}
    for charge in all_charges:
        forgiveness = getattr(charge, "forgiveness", None)
        released = forgiveness.at if forgiveness is not None else None
        costs = {"live": Decimal(charge.cost), "draft": Decimal(_draft_cost(draft, charge))}
        for side, cost in costs.items():
            known_facts[side].setdefault(charge.membership_id, []).append(
                KnownCharge(
                    budget_math.ChargeFact(cost, charge.occurred_at, released), charge.recorded_at
                )
            )
    live_facts: dict[int, list[budget_math.ChargeFact]] = defaultdict(list)
    draft_facts: dict[int, list[budget_math.ChargeFact]] = defaultdict(list)
    charge_rows = []
    for charge in charges:
        forgiveness = getattr(charge, "forgiveness", None)
        released = forgiveness.at if forgiveness is not None else None
        draft_cost = _draft_cost(draft, charge)
        live_facts[charge.membership_id].append(
            budget_math.ChargeFact(Decimal(charge.cost), charge.occurred_at, released)
        )
        draft_facts[charge.membership_id].append(
            budget_math.ChargeFact(Decimal(draft_cost), charge.occurred_at, released)
        )
        if released is not None and released <= at:
            continue
        in_live = charge.occurred_at > at - live_math.window
        in_draft = charge.occurred_at > at - draft_math.window
        live_counts = Decimal(charge.cost) if in_live else None
        draft_counts = Decimal(draft_cost) if in_draft else None
        if live_counts != draft_counts:
            charge_rows.append(
                {
                    "member": names.get(charge.membership_id, ""),
                    "kind": charge.kind,
                    "severity": charge.severity,
                    "occurred_at": charge.occurred_at.isoformat(),
                    "live_cost": None if live_counts is None else str(live_counts),
                    "draft_cost": None if draft_counts is None else str(draft_counts),
                }
            )
    by_tier: dict[str, dict[str, int]] = {
        "live": dict.fromkeys(Tier, 0),
        "draft": dict.fromkeys(Tier, 0),
    }
    cohorts: dict[str, dict[str, Any]] = {
        c: {
            "members": 0,
            "changed": 0,
            "live": dict.fromkeys(Tier, 0),
            "draft": dict.fromkeys(Tier, 0),
        }
        for c in COHORTS
    }
    changed = []
    for member_id in sorted(seen, key=lambda pk: (names.get(pk, ""), pk)):
        times = activity.get(member_id, [])
        before = budget_math.compute_budget(
            live_math, at, activity_times=times, charges=live_facts.get(member_id, [])
        ).rounded()
        after = budget_math.compute_budget(
            draft_math, at, activity_times=times, charges=draft_facts.get(member_id, [])
        ).rounded()
        cohort = _cohort(firsts.get(member_id), at)
        by_tier["live"][before.tier] += 1
        by_tier["draft"][after.tier] += 1
        figures = cohorts[cohort]
        figures["members"] += 1
        figures["live"][before.tier] += 1
        figures["draft"][after.tier] += 1
        if before.tier != after.tier:
            figures["changed"] += 1
            changed.append(
                {
                    "member_id": member_id,
                    "name": names.get(member_id, ""),
                    "cohort": cohort,
                    "live_tier": before.tier.value,
                    "draft_tier": after.tier.value,
                    "live_remaining": str(before.remaining),
                    "draft_remaining": str(after.remaining),
                    "live_allowance": str(before.allowance),
                    "draft_allowance": str(after.allowance),
                }
            )
    return {
        "at": at.isoformat(),
        "live_policy": {**_summary(live), "version": live.version},
        "draft_policy": _summary(draft),
        "members": len(seen),
        "by_tier": {
            side: {str(t): n for t, n in counts.items()} for side, counts in by_tier.items()
        },
        "by_cohort": {
            name: (
                {
                    "members": f["members"],
                    "changed": f["changed"],
                    "live": {str(t): n for t, n in f["live"].items()},
                    "draft": {str(t): n for t, n in f["draft"].items()},
                }
                if f["members"] >= MIN_COHORT_MEMBERS
                else None
            )
            for name, f in cohorts.items()
        },
        "changed_count": len(changed),
        "changed": changed[:MAX_ROWS],
        "charges_differ": len(charge_rows),
        "charges": charge_rows[:MAX_ROWS],
        "period": _period(
            period_from,
            at,
            {"live": live_math, "draft": draft_math},
            in_period,
            names,
            known_activity,
            known_facts,
        ),
    }
