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
from datetime import datetime
from functools import partial

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from budgets.models import Appeal, LiftCause, MemberCooldown, TierTransition
from budgets.tier_words import tier_sentence
from community.models import Community, Membership, NotificationKind
from community.notifications import Message, notify, notify_each
from community.tiers import is_worse
from community.words import points

# Every notice's words are built by a function, called in the recipient's language.


def tier_key(transition_id: int) -> str:
    return f"budgets.tier:{transition_id}"


def _my_budget(community: Community) -> str:
    return reverse("budgets:my-budget", args=[community.slug])


def _when(moment: datetime) -> str:
    """A date and time as the reader's language writes them ("2 Dec, 14:30", "12월 2일 14:30")."""
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _tier_words(t: TierTransition) -> tuple[str, str]:
    left = _("%(left)s of %(allowance)s left") % {
        "left": points(t.remaining),
        "allowance": points(t.allowance),
    }
    if is_worse(t.to_tier, t.from_tier):
        return _("A quiet note: your budget has less room for now"), _(
            "You have %(left)s. %(meaning)s Nobody else sees this except the moderators. "
            "If a charge looks wrong to you, you can appeal it."
        ) % {"left": left, "meaning": tier_sentence(t.to_tier)}
    return _("Good news: your budget has more room again"), _("You have %(left)s. %(meaning)s") % {
        "left": left,
        "meaning": tier_sentence(t.to_tier),
    }


def notify_tier_changes(*, community: Community, transitions: Sequence[TierTransition]) -> None:
    messages = [
        Message(
            recipient=Membership(pk=t.membership_id, community_id=community.pk),
            title=partial(lambda t: _tier_words(t)[0], t),
            body=partial(lambda t: _tier_words(t)[1], t),
            link=_my_budget(community),
            key=tier_key(t.pk),
        )
        for t in transitions
    ]
    notify_each(
        community=community, kind=NotificationKind.TIER_CHANGED, messages=messages, email=False
    )


def notify_cooldowns(*, community: Community, cooldowns: Sequence[MemberCooldown]) -> None:
    _notify_pauses(
        community,
        cooldowns,
        key="budgets.cooldown",
        title=lambda: _("A short pause on your posting"),
        body=lambda c: (
            _(
                "Until %(end)s your posts are paused, to give everyone room to cool down. It lifts "
                "by itself; it is not a ban and costs you nothing more."
            )
            % {"end": _when(c.ends_at)}
        ),
    )


def notify_cooldowns_lifted(*, community: Community, cooldowns: Sequence[MemberCooldown]) -> None:
    """A kind word when a pause ends before its time (a pause that runs to its end was
    announced with its end already)."""
    _notify_pauses(
        community,
        cooldowns,
        key="budgets.cooldown-lifted",
        title=lambda: _("Your pause on posting was lifted early"),
        body=lambda c: (
            _(
                "It ended on %(ended)s, before the planned %(end)s, because %(why)s. You can post "
                "again. Thank you for giving it room."
            )
            % {
                "ended": _when(c.ended_at) if c.ended_at else "",
                "end": _when(c.ends_at),
                "why": LiftCause(c.lift_cause).label,
            }
        ),
    )


def _notify_pauses(
    community: Community,
    cooldowns: Sequence[MemberCooldown],
    *,
    key: str,
    title: Callable[[], str],
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
                body=partial(body, c),
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
        title=lambda: _("%(name)s appealed a charge") % {"name": appeal.membership.display_name},
        body=lambda: (
            _("“%(reason)s”. They wrote: %(statement)s")
            % {"reason": appeal.charge.reason, "statement": appeal.statement[:300]}
        ),
        link=reverse("budgets:appeals", args=[community.slug]) + f"#appeal-{appeal.pk}",
        key=f"budgets.appeal-filed:{appeal.pk}",
    )


def notify_appeal_decided(*, appeal: Appeal, reversed_: bool) -> None:
    community = appeal.community
    notify(
        community=community,
        recipients=[appeal.membership],
        kind=NotificationKind.APPEAL_DECIDED,
        title=lambda: (
            _("Your appeal: the charge is reversed and no longer counts")
            if reversed_
            else _("Your appeal was looked at: the charge stands")
        ),
        body=lambda: (
            _("About “%(reason)s”. The moderators wrote: %(decision)s")
            % {"reason": appeal.charge.reason, "decision": appeal.decision_reason}
        ),
        link=_my_budget(community),
        key=f"budgets.appeal-decided:{appeal.pk}",
    )
