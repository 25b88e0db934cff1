"""Demo step (order 30): forgiveness budgets for the demo community.

The default policy, a charge for every friction event the spine already stored, a history of
recalculations (so members have tier transitions), budgets in every tier, and the demo member
(`member`, forum account hal_rivers) in warning or critical with a story: a sharp reply that
counts, an off-topic flag reversed on appeal, and an appeal still waiting. A second policy
version adds a pause on posting for exhausted budgets: one member's pause is running, another's
was lifted early after forgiveness. Idempotent: a second run finds everything in place and
changes nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.models import User

from budgets import services
from budgets.budget_math import Action
from budgets.models import (
    Appeal,
    Charge,
    ForgivenessKind,
    MemberBudget,
    MemberCooldown,
    TierTransition,
)
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import recalculate_community
from community.models import Membership, Role
from community.tiers import Tier
from demo.context import MEMBER_USERNAME, MODERATOR_USERNAME, DemoContext

STORY = {
    "counts": "A sharp reply to a newcomer in Growing Tips (moderator warning)",
    "reversed": "An off-topic flag on a seed-swap post in Plot Swaps",
    "waiting": "A personal remark about the compost rota in Proposals (moderator warning)",
}
TOP_UP = "A heated reply in Proposals (moderator warning)"


def seed_budgets(ctx: DemoContext) -> None:
    community, now = ctx.community, ctx.now
    rng = random.Random(30)
    services.get_policy(community=community)
    created = services.charge_existing_events(community=community)
    ctx.log(f"  {created} charges from friction events")
    if not TierTransition.objects.filter(community=community).exists():
        # Replay the last three weeks, so members have a history of tier changes.
        for days in (21, 14, 7):
            recalculate_community(community=community, at=now - timedelta(days=days))
    moderator = User.objects.get(username=MODERATOR_USERNAME)
    member = Membership.objects.get(community=community, user__username=MEMBER_USERNAME)
    _member_story(ctx, member, moderator)
    _other_appeals(ctx, moderator, rng)
    recalculate_community(community=community, kind=RecalcKind.FULL, at=now)
    _pauses(ctx, moderator)
    _fill_every_tier(ctx, moderator)
    tiers = sorted(
        set(MemberBudget.objects.filter(community=community).values_list("tier", flat=True))
    )
    ctx.log(f"  budgets in tiers: {', '.join(tiers)}")


def _charge(ctx: DemoContext, member: Membership, reason: str, days: float, by: User) -> Charge:
    existing = Charge.objects.filter(membership=member, reason=reason).first()
    if existing is not None:
        return existing
    kind, severity = (
        ("flag_upheld", "minor") if "flag" in reason else ("moderator_warning", "moderate")
    )
    return services.create_charge(
        community=ctx.community,
        membership=member,
        kind=kind,
        severity=severity,
        reason=reason,
        occurred_at=ctx.now - timedelta(days=days),
        by=by,
    )


def _member_story(ctx: DemoContext, member: Membership, moderator: User) -> None:
    _charge(ctx, member, STORY["counts"], 12, moderator)
    reversed_charge = _charge(ctx, member, STORY["reversed"], 9, moderator)
    if not Appeal.objects.filter(charge=reversed_charge).exists():
        appeal = services.file_appeal(
            charge=reversed_charge,
            membership=member,
            statement="The thread had moved on to swapping seeds, so my post was on topic there.",
        )
        services.decide_appeal(
            appeal=appeal,
            uphold=True,
            reason="Agreed: the thread had become a seed swap. Sorry for the flag.",
            by=moderator,
        )
    waiting = _charge(ctx, member, STORY["waiting"], 3, moderator)
    if not Appeal.objects.filter(charge=waiting).exists():
        services.file_appeal(
            charge=waiting,
            membership=member,
            statement="I was frustrated about the rota, not about anyone in particular. "
            "I have apologised in the thread.",
        )
    # Land the member in warning or critical, whatever the seeded history gave them.
    for step in range(12):
        recalculate_community(community=ctx.community, kind=RecalcKind.FULL, at=ctx.now)
        tier = MemberBudget.objects.get(membership=member).tier
        if tier in (Tier.WARNING, Tier.CRITICAL):
            return
        if tier == Tier.HEALTHY:
            _charge(ctx, member, f"{TOP_UP} #{step + 1}", 2 + step, moderator)
        else:
            window_start = ctx.now - timedelta(
                days=services.get_policy(community=ctx.community).window_days
            )
            counting = Charge.objects.active().filter(
                membership=member, event__isnull=False, occurred_at__gt=window_start
            )
            first = counting.order_by("occurred_at").first()
            if first is None:
                return
            services.forgive_charges(
                charges=[first],
                reason="Restorative agreement kept: a kind follow-up in the thread.",
                by=moderator,
                kind=ForgivenessKind.AGREEMENT,
            )


def _other_appeals(ctx: DemoContext, moderator: User, rng: random.Random) -> None:
    if (
        Appeal.objects.filter(community=ctx.community)
        .exclude(membership__user__username=MEMBER_USERNAME)
        .exists()
    ):
        return
    charges = list(
        Charge.objects.active()
        .filter(community=ctx.community, event__isnull=False, membership__user__isnull=True)
        .order_by("pk")[:40]
    )
    for n, charge in enumerate(rng.sample(charges, min(3, len(charges)))):
        if ctx.now - charge.recorded_at > timedelta(days=13):
            continue
        appeal = services.file_appeal(
            charge=charge,
            membership=charge.membership,
            statement="I think this was a misunderstanding; could someone look again?",
        )
        if n == 0:
            services.decide_appeal(
                appeal=appeal,
                uphold=False,
                reason="The post named another member unkindly; the flag stands. "
                "It leaves your budget on its own in a few weeks.",
                by=moderator,
            )


def _fill_every_tier(ctx: DemoContext, moderator: User) -> None:
    """Make sure every tier has someone (a demo shows each of them)."""
    present = set(
        MemberBudget.objects.filter(community=ctx.community).values_list("tier", flat=True)
    )
    quiet = (
        MemberBudget.objects.filter(community=ctx.community, tier=Tier.HEALTHY, spent=0)
        .exclude(membership__role__in=[Role.MODERATOR, Role.ADMIN])
        .exclude(membership__user__username=MEMBER_USERNAME)
        .order_by("activity", "membership_id")
    )
    needed = {Tier.WARNING: 2, Tier.CRITICAL: 3, Tier.EXHAUSTED: 4}  # moderate slips per tier
    for tier, slips in needed.items():
        if tier in present:
            continue
        budget = quiet.exclude(membership__charges__isnull=False).first()
        if budget is None:
            return
        for n in range(slips):
            _charge(ctx, budget.membership, f"{TOP_UP} #{n + 1}", 1 + n, moderator)
    recalculate_community(community=ctx.community, kind=RecalcKind.FULL, at=ctx.now)


PAUSE_SLIP = "Kept going at someone in the shed rota thread (moderator warning)"


def _pauses(ctx: DemoContext, moderator: User) -> None:
    """Pauses for exhausted budgets (policy version 2): two quiet members slip four times in a
    heated week; one pause runs, the other is lifted early when a moderator forgives after a
    facilitator's check-in."""
    community = ctx.community
    if MemberCooldown.objects.filter(community=community).exists():
        return
    policy = services.get_policy(community=community)
    actions = {tier: list(names) for tier, names in policy.tier_actions.items()}
    if Action.MEMBER_COOLDOWN not in actions.get(Tier.EXHAUSTED, []):
        actions[Tier.EXHAUSTED] = [*actions.get(Tier.EXHAUSTED, []), Action.MEMBER_COOLDOWN]
        services.update_policy(
            community=community,
            changes={"tier_actions": actions},
            by=moderator,
            note="A timed pause on posting when a budget is used up (it lifts by itself).",
        )
    quiet = list(
        MemberBudget.objects.filter(community=community, tier=Tier.HEALTHY, spent=0)
        .exclude(membership__role__in=[Role.MODERATOR, Role.ADMIN])
        .exclude(membership__user__username=MEMBER_USERNAME)
        .exclude(membership__charges__isnull=False)
        .order_by("activity", "membership_id")
        .values_list("membership_id", flat=True)[:2]
    )
    people = list(Membership.objects.filter(pk__in=quiet).order_by("pk"))
    for person in people:
        for n in range(4):
            _charge(ctx, person, f"{PAUSE_SLIP} #{n + 1}", 1 + n / 2, moderator)
    recalculate_community(community=community, kind=RecalcKind.FULL, at=ctx.now)
    if len(people) == 2:
        services.forgive_charges(
            charges=Charge.objects.filter(membership=people[1]).order_by("occurred_at")[:2],
            reason="A facilitator checked in; they apologised in the thread and it is calm again.",
            by=moderator,
        )
    paused = MemberCooldown.objects.filter(community=community)
    early = paused.filter(lifted_at__isnull=False).count()
    ctx.log(f"  {paused.count()} pauses on posting, {early} lifted early")
