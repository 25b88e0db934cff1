"""A member's pause on posting (``MemberCooldown``): started by a tier action, lifted early when
the budget recovers above the tier that started it. Both run inside ``record_transitions``, in
the recalculation's transaction, so a pause starts and ends exactly once with the transition
that caused it, and leaves through the outbox (``budget.member_cooldown``,
``budget.member_cooldown_lifted``) for the forum adapter to apply as a timed silence and to
lift. A pause that simply reaches its end needs nothing: the forum lifts it by itself then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from budgets.models import (
    Forgiveness,
    ForgivenessKind,
    ForgivenessPolicy,
    LiftCause,
    MemberCooldown,
    TierTransition,
)
from budgets.notify import notify_cooldowns, notify_cooldowns_lifted
from community.language import in_community_language
from community.models import Community, DomainEventType, ExternalIdentity
from community.tiers import is_worse

Events = list[tuple[DomainEventType, dict[str, Any]]]

# Which kind of forgiveness, found since a pause started, explains that it was lifted early.
CAUSE_OF_FORGIVENESS = {
    ForgivenessKind.APPEAL: LiftCause.REVERSED,
    ForgivenessKind.FLAG_REJECTED: LiftCause.FLAG_REJECTED,
    ForgivenessKind.GRACE: LiftCause.FORGIVEN,
    ForgivenessKind.AGREEMENT: LiftCause.AGREEMENT,
}


def pause_reason(community: Community, hours: int) -> str:
    """The words a pause carries (the member reads them here, and on the forum), written once
    in the community's default language."""

    def words() -> str:
        return _(
            "A %(hours)s-hour pause on posting, to give everyone room to cool down. It lifts "
            "by itself, and it is not a ban."
        ) % {"hours": hours}

    return in_community_language(community, words)


def lifted_words(community: Community, cause: str) -> str:
    """Why a pause ended early, said whole and written once in the community's language (the
    forum shows it with the lifted pause)."""
    sentences = {
        LiftCause.RECOVERED: lambda: _("Lifted early because the budget recovered."),
        LiftCause.FORGIVEN: lambda: _(
            "Lifted early because forgiveness gave the budget room again."
        ),
        LiftCause.AGREEMENT: lambda: _(
            "Lifted early because the agreements were kept, so the related charges were forgiven."
        ),
        LiftCause.REVERSED: lambda: _("Lifted early because a charge was reversed on appeal."),
        LiftCause.FLAG_REJECTED: lambda: _("Lifted early because a flag was rejected on review."),
    }
    return in_community_language(community, sentences[LiftCause(cause)])


def identities_of(membership_ids: Sequence[int]) -> dict[int, list[dict[str, str]]]:
    found: dict[int, list[dict[str, str]]] = {}
    if not membership_ids:
        return found
    for ident in ExternalIdentity.objects.filter(membership_id__in=membership_ids).order_by("pk"):
        found.setdefault(ident.membership_id, []).append(
            {"source": ident.source, "external_id": ident.external_id, "username": ident.username}
        )
    return found


def start_cooldowns(
    *, community: Community, policy: ForgivenessPolicy, transitions: Sequence[TierTransition]
) -> Events:
    """Pauses for transitions whose tier asks for one; returns their outbox events."""
    if not transitions:
        return []
    cooldowns = MemberCooldown.objects.bulk_create(
        [
            MemberCooldown(
                community=community,
                membership_id=t.membership_id,
                transition=t,
                starts_at=t.at,
                ends_at=t.at + timedelta(hours=policy.cooldown_hours),
                reason=pause_reason(community, policy.cooldown_hours),
            )
            for t in transitions
        ]
    )
    notify_cooldowns(community=community, cooldowns=cooldowns)
    identities = identities_of([c.membership_id for c in cooldowns])
    return [
        (
            DomainEventType.BUDGET_MEMBER_COOLDOWN,
            {
                "member_cooldown_id": c.pk,
                "membership_id": c.membership_id,
                "identities": identities.get(c.membership_id, []),
                "starts_at": c.starts_at.isoformat(),
                "ends_at": c.ends_at.isoformat(),
                "reason": c.reason,
            },
        )
        for c in cooldowns
    ]


def _cause(forgiven: list[Forgiveness], cooldown: MemberCooldown) -> str:
    """The most recent forgiveness since the pause started explains the recovery; without
    one, the budget recovered by itself (charges left the window, more activity, a policy)."""
    for entry in forgiven:
        if entry.charge.membership_id == cooldown.membership_id and entry.at >= cooldown.starts_at:
            return CAUSE_OF_FORGIVENESS.get(ForgivenessKind(entry.kind), LiftCause.FORGIVEN)
    return LiftCause.RECOVERED


def lift_recovered(*, community: Community, transitions: Sequence[TierTransition]) -> Events:
    """Lift the running pauses of members whose budget is now above the tier that started
    them; returns the outbox events. Called with the recovering transitions only."""
    by_member = {t.membership_id: t for t in transitions if not t.is_worse}
    if not by_member:
        return []
    running = list(
        MemberCooldown.objects.filter(membership_id__in=by_member)
        .filter(lifted_at__isnull=True)
        .select_related("transition")
        .order_by("starts_at", "pk")
    )
    due = [
        c
        for c in running
        if c.is_running(by_member[c.membership_id].at)
        and is_worse(c.transition.to_tier, by_member[c.membership_id].to_tier)
    ]
    if not due:
        return []
    earliest = min(c.starts_at for c in due)
    forgiven = list(
        Forgiveness.objects.filter(
            community=community,
            charge__membership_id__in={c.membership_id for c in due},
            at__gte=earliest,
        )
        .select_related("charge")
        .order_by("-at", "-pk")
    )
    lifted: list[MemberCooldown] = []
    for cooldown in due:
        recovery = by_member[cooldown.membership_id]
        cause = _cause(forgiven, cooldown)
        # Recalculations of a community are serialised, so this guard only keeps a replayed
        # transition from lifting twice.
        changed = MemberCooldown.objects.filter(pk=cooldown.pk, lifted_at__isnull=True).update(
            lifted_at=recovery.at, lift_cause=cause, lifted_by_transition=recovery
        )
        if changed:
            cooldown.lifted_at, cooldown.lift_cause = recovery.at, cause
            cooldown.lifted_by_transition = recovery
            lifted.append(cooldown)
    notify_cooldowns_lifted(community=community, cooldowns=lifted)
    identities = identities_of([c.membership_id for c in lifted])
    return [
        (
            DomainEventType.BUDGET_MEMBER_COOLDOWN_LIFTED,
            {
                "member_cooldown_id": c.pk,
                "membership_id": c.membership_id,
                "identities": identities.get(c.membership_id, []),
                "starts_at": c.starts_at.isoformat(),
                "ends_at": c.ends_at.isoformat(),
                "lifted_at": _iso(c.lifted_at),
                "cause": c.lift_cause,
                "reason": lifted_words(community, c.lift_cause),
            },
        )
        for c in lifted
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
