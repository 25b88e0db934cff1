"""What a tier transition does: recorded in the same transaction as the transition itself, so
an action happens exactly once even when a recalculation is retried. External effects (webhooks,
the forum applying or lifting a member's pause, ``budgets.member_cooldowns``) leave through the
spine's outbox as domain events; the e-mail copy of a private nudge is sent after commit by a
task that marks it sent."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from budgets.budget_math import Action
from budgets.member_cooldowns import lift_recovered, start_cooldowns
from budgets.models import ForgivenessPolicy, Notice, NoticeAudience, TierTransition
from budgets.notify import notify_tier_changes
from budgets.tier_words import tier_sentence
from community.domain_events import record_domain_events
from community.hidden import notice_mark
from community.jobs import enqueue_after_commit
from community.language import languages_for
from community.models import Community, DomainEventType, Membership
from community.tier_words import tier_label

logger = logging.getLogger(__name__)


def record_transitions(
    *,
    community: Community,
    policy: ForgivenessPolicy,
    transitions: Sequence[tuple[TierTransition, str]],
) -> list[TierTransition]:
    """Store transitions and do their tier's actions (in the caller's transaction). A
    recovering transition lifts the pauses its member no longer needs. A transition marked
    ``from_imported_history`` (``budgets.imported_history``) has no actions and is neither
    notified nor sent out as "tier changed"; it still lifts pauses no longer needed."""
    created = TierTransition.objects.bulk_create([t for t, _ in transitions])
    names = {t.membership_id: name for t, name in transitions}
    notices: list[Notice] = []
    # A nudge is written in its member's language, as every notice is.
    languages = languages_for(
        community=community,
        users=dict(
            Membership.objects.filter(
                pk__in=[t.membership_id for t in created if Action.PRIVATE_NUDGE in t.actions]
            ).values_list("pk", "user_id")
        ),
    )
    events: list[tuple[DomainEventType, dict[str, Any]]] = []
    for transition in created:
        name = names[transition.membership_id]
        for action in transition.actions:
            if action == Action.PRIVATE_NUDGE:
                with translation.override(languages.get(transition.membership_id)):
                    notices.append(_nudge(community, transition))
            elif action == Action.NOTIFY_MODERATORS:
                notices.append(_moderator_note(community, transition, name))
            elif action == Action.FACILITATOR_CHECKIN:
                notices.append(_checkin(community, transition, name))
        # A move that came from imported history alone is recorded, never announced.
        if not transition.from_imported_history:
            events.append(
                (DomainEventType.BUDGET_TIER_CHANGED, tier_changed_payload(transition, name))
            )
    events += start_cooldowns(
        community=community,
        policy=policy,
        transitions=[t for t in created if Action.MEMBER_COOLDOWN in t.actions],
    )
    events += lift_recovered(community=community, transitions=created)
    if notices:
        _mark_rehearsal(community, notices)
        Notice.objects.bulk_create(notices)
        _email_nudges_after_commit([n for n in notices if n.audience == NoticeAudience.MEMBER])
    notify_tier_changes(
        community=community, transitions=[t for t in created if not t.from_imported_history]
    )
    record_domain_events(community=community, events=events)
    return created


def tier_changed_payload(transition: TierTransition, display_name: str) -> dict[str, Any]:
    return {
        "membership_id": transition.membership_id,
        "display_name": display_name,
        "from_tier": transition.from_tier,
        "to_tier": transition.to_tier,
        "allowance": str(transition.allowance),
        "spent": str(transition.spent),
        "remaining": str(transition.remaining),
        "remaining_ratio": str(transition.remaining_ratio),
        "at": transition.at.isoformat(),
        "actions": list(transition.actions),
    }


def _mark_rehearsal(community: Community, notices: list[Notice]) -> None:
    """Inside a rehearsal's sandbox a budget notice (and its e-mail) says it is a rehearsal."""
    mark = notice_mark(community.pk)
    if mark is None:
        return
    for notice in notices:
        title, notice.body = mark.apply(notice.title, notice.body)
        notice.title = title[:200]


def _nudge(community: Community, transition: TierTransition) -> Notice:
    return Notice(
        community=community,
        membership_id=transition.membership_id,
        audience=NoticeAudience.MEMBER,
        kind=Action.PRIVATE_NUDGE,
        transition=transition,
        created_at=transition.at,
        title=_("A quiet note about your budget in %(community)s") % {"community": community.name},
        body=_(
            "Your forgiveness budget is now at %(tier)s (%(left)s of %(allowance)s points "
            "left). %(meaning)s Nobody else sees this note except the moderators. If a charge "
            "looks wrong to you, you can appeal it."
        )
        % {
            "tier": tier_label(transition.to_tier).lower(),
            "left": f"{transition.remaining.normalize():f}",
            "allowance": f"{transition.allowance.normalize():f}",
            "meaning": tier_sentence(transition.to_tier),
        },
    )


def _moderator_note(community: Community, transition: TierTransition, name: str) -> Notice:
    return Notice(
        community=community,
        membership_id=transition.membership_id,
        audience=NoticeAudience.MODERATORS,
        kind=Action.NOTIFY_MODERATORS,
        transition=transition,
        created_at=transition.at,
        title=f"{name}'s budget moved to {transition.to_tier}",
        body=(
            f"{name} has {transition.remaining.normalize():f} of "
            f"{transition.allowance.normalize():f} points left. Consider whether a kind word "
            "helps; nothing else happens automatically."
        ),
    )


def _checkin(community: Community, transition: TierTransition, name: str) -> Notice:
    return Notice(
        community=community,
        membership_id=transition.membership_id,
        audience=NoticeAudience.MODERATORS,
        kind=Action.FACILITATOR_CHECKIN,
        transition=transition,
        created_at=transition.at,
        title=f"Suggested: a facilitator check-in with {name}",
        body=(
            f"{name}'s budget is {transition.to_tier}. A facilitator could check in with them "
            "privately: listen first, ask what is going on, agree on next steps together."
        ),
    )


def _email_nudges_after_commit(notices: list[Notice]) -> None:
    if not notices:
        return
    with_email = set(
        Membership.objects.filter(pk__in={n.membership_id for n in notices}, user__isnull=False)
        .exclude(user__email="")
        .values_list("pk", flat=True)
    )
    ids = [n.pk for n in notices if n.membership_id in with_email and n.pk is not None]
    if ids:
        enqueue_after_commit("budgets.email_notices", ids)
