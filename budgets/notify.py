"""What budgets tells people through the spine's notification centre: a member's own tier
change (worded kindly), a pause on their posting, an appeal to decide (moderators) and an
appeal decided (the member), a pause lifted early. Called by the services and actions in the
same transaction.

The budget's own ``Notice`` rows stay what they were (the notes explained on *My budget* and
the moderators' budget page); a notification points the person to them. The e-mail copy of a
tier change is the private nudge's e-mail (``services.email_notices``), so the notification of
a tier change is not e-mailed a second time; that e-mail honours the same preference and is
recorded as the notification's e-mail delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from django.urls import reverse

from budgets.budget_math import TIER_WORDS
from budgets.models import Appeal, LiftCause, MemberCooldown, TierTransition
from community.models import Community, Membership, NotificationKind
from community.notifications import Message, notify, notify_each
from community.tiers import is_worse


def tier_key(transition_id: int) -> str:
    return f"budgets.tier:{transition_id}"


def points(value: Decimal) -> str:
    """A number of points for people: at most one decimal, with the right plural."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return f"{text} point{'' if text == '1' else 's'}"


def _my_budget(community: Community) -> str:
    return reverse("budgets:my-budget", args=[community.slug])


def notify_tier_changes(*, community: Community, transitions: Sequence[TierTransition]) -> None:
    messages = []
    for t in transitions:
        left = f"{points(t.remaining)} of {points(t.allowance)} left"
        if is_worse(t.to_tier, t.from_tier):
            title = "A quiet note: your budget has less room for now"
            body = (
                f"You have {left}. {TIER_WORDS[t.to_tier]} Nobody else sees this except the "
                "moderators. If a charge looks wrong to you, you can appeal it."
            )
        else:
            title = "Good news: your budget has more room again"
            body = f"You have {left}. {TIER_WORDS[t.to_tier]}"
        messages.append(
            Message(
                recipient=Membership(pk=t.membership_id, community_id=community.pk),
                title=title,
                body=body,
                link=_my_budget(community),
                key=tier_key(t.pk),
            )
        )
    notify_each(
        community=community, kind=NotificationKind.TIER_CHANGED, messages=messages, email=False
    )


def notify_cooldowns(*, community: Community, cooldowns: Sequence[MemberCooldown]) -> None:
    _notify_pauses(
        community,
        cooldowns,
        key="budgets.cooldown",
        title="A short pause on your posting",
        body=lambda c: (
            f"Until {c.ends_at:%d %b, %H:%M} your posts are paused, to give everyone "
            "room to cool down. It lifts by itself; it is not a ban and costs you "
            "nothing more."
        ),
    )


def notify_cooldowns_lifted(*, community: Community, cooldowns: Sequence[MemberCooldown]) -> None:
    """A kind word when a pause ends before its time (a pause that runs to its end was
    announced with its end already)."""
    _notify_pauses(
        community,
        cooldowns,
        key="budgets.cooldown-lifted",
        title="Your pause on posting was lifted early",
        body=lambda c: (
            f"It ended on {c.ended_at:%d %b at %H:%M}, before the planned "
            f"{c.ends_at:%d %b, %H:%M}, because {LiftCause(c.lift_cause).label}. "
            "You can post again. Thank you for giving it room."
        ),
    )


def _notify_pauses(
    community: Community,
    cooldowns: Sequence[MemberCooldown],
    *,
    key: str,
    title: str,
    body: Callable[[MemberCooldown], str],
) -> None:
    """One notice per paused member, keyed by the pause so a repeat sends nothing twice."""
    notify_each(
        community=community,
        kind=NotificationKind.MEMBER_COOLDOWN,
        messages=[
            Message(
                recipient=Membership(pk=c.membership_id, community_id=community.pk),
                title=title,
                body=body(c),
                link=_my_budget(community),
                key=f"{key}:{c.pk}",
            )
            for c in cooldowns
        ],
    )


def notify_appeal_filed(*, appeal: Appeal) -> None:
    community = appeal.community
    notify(
        community=community,
        recipients=community.memberships.moderators(),
        kind=NotificationKind.APPEAL_TO_DECIDE,
        title=f"{appeal.membership.display_name} appealed a charge",
        body=f"“{appeal.charge.reason}”. They wrote: {appeal.statement[:300]}",
        link=reverse("budgets:appeals", args=[community.slug]) + f"#appeal-{appeal.pk}",
        key=f"budgets.appeal-filed:{appeal.pk}",
    )


def notify_appeal_decided(*, appeal: Appeal, reversed_: bool) -> None:
    community = appeal.community
    title = (
        "Your appeal: the charge is reversed and no longer counts"
        if reversed_
        else "Your appeal was looked at: the charge stands"
    )
    notify(
        community=community,
        recipients=[appeal.membership],
        kind=NotificationKind.APPEAL_DECIDED,
        title=title,
        body=f"About “{appeal.charge.reason}”. The moderators wrote: {appeal.decision_reason}",
        link=_my_budget(community),
        key=f"budgets.appeal-decided:{appeal.pk}",
    )
