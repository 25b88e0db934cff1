"""Forgiveness: when every agreement of a responsible participant is kept, a moderator forgives
the charges related to the incident in one action.

The charges are never edited: each gets its ledger entry (``budgets.Forgiveness``, kind
"restorative agreement kept", the postmortem named as the reason) through
``budgets.services.forgive_charges``, which recalculates the member so the budget recovers (and
a pause on their posting that the recovery no longer calls for is lifted). Whether this
forgiveness lifted a running pause is recorded on the ``CircleForgiveness`` row
(``cooldown_lifted``), so the circle can say so.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from budgets.models import Charge, ForgivenessKind, MemberCooldown
from budgets.services import forgive_charges
from community.language import in_community_language
from community.services import ServiceError
from incidents.postmortems.models import (
    Agreement,
    AgreementStatus,
    CircleForgiveness,
    Consent,
    Participant,
    ParticipantRole,
)

# Charges in the incident's spaces from this long before it was declared count as related:
# the friction that led up to the declaration is part of the same conflict.
LEAD_UP = timedelta(hours=24)


def related_charges(participant: Participant) -> list[Charge]:
    """The participant's charges that still count and belong to the incident: the events that
    triggered it, and friction in its spaces from the lead-up until it was resolved."""
    incident = participant.postmortem.incident
    start = incident.declared_at - LEAD_UP
    end = incident.resolved_at or timezone.now()
    in_spaces = Q(
        event__space__in=incident.spaces.all(), occurred_at__gte=start, occurred_at__lte=end
    )
    triggered = Q(event_id__in=[int(i) for i in incident.trigger_event_ids or []])
    return list(
        Charge.objects.filter(community_id=incident.community_id, membership=participant.membership)
        .filter(in_spaces | triggered)
        .filter(forgiveness__isnull=True)
        .order_by("occurred_at", "pk")
    )


def forgiveness_refusal(participant: Participant) -> str | None:
    """Why the participant's charges cannot be forgiven now (None: they can)."""
    name = participant.membership.display_name
    if participant.role != ParticipantRole.RESPONSIBLE:
        return _("Forgiveness is for a responsible participant whose agreements were kept.")
    if participant.consent != Consent.ACCEPTED:
        return _("%(name)s has not accepted to take part in the circle.") % {"name": name}
    if CircleForgiveness.objects.filter(
        postmortem_id=participant.postmortem_id, participant=participant
    ).exists():
        return _("%(name)s's charges from this incident were already forgiven.") % {"name": name}
    # A withdrawn agreement (taken back, or replaced by a revision) is history: it neither
    # holds forgiveness back nor counts as kept.
    agreements = list(
        Agreement.objects.filter(owner=participant).exclude(status=AgreementStatus.WITHDRAWN)
    )
    if not agreements:
        return _(
            "%(name)s has no agreements yet; forgiveness follows agreements that were kept."
        ) % {"name": name}
    still_open = sum(1 for a in agreements if a.status == AgreementStatus.OPEN)
    if still_open:
        return ngettext(
            "%(count)s of %(name)s's agreements is still open; forgive once every agreement is "
            "kept.",
            "%(count)s of %(name)s's agreements are still open; forgive once every agreement is "
            "kept.",
            still_open,
        ) % {"count": still_open, "name": name}
    if any(a.status == AgreementStatus.NOT_KEPT for a in agreements):
        return _("Not every agreement of %(name)s was kept, so the charges stay as they are.") % {
            "name": name
        }
    return None


def _running_pauses(participant: Participant) -> list[int]:
    """The member's pauses on posting running now (before the forgiveness)."""
    return list(
        MemberCooldown.objects.filter(membership=participant.membership)
        .active(timezone.now())
        .values_list("pk", flat=True)
    )


def _lifted(running: list[int]) -> bool:
    """Whether the recalculation inside ``forgive_charges`` (same transaction) lifted one of
    the pauses that were running before it."""
    return (
        bool(running)
        and MemberCooldown.objects.filter(pk__in=running, lifted_at__isnull=False).exists()
    )


def forgive_participant(*, participant: Participant, by: User | None) -> CircleForgiveness:
    """Forgive the related charges of ``participant`` in one action, once."""
    postmortem = participant.postmortem
    try:
        with transaction.atomic():
            # One forgiveness at a time per participant: lock the row, then look again.
            participant = Participant.objects.select_for_update().get(pk=participant.pk)
            refusal = forgiveness_refusal(participant)
            if refusal:
                raise ServiceError(refusal)
            charges = related_charges(participant)
            if not charges:
                raise ServiceError(
                    _(
                        "%(display_name)s has no charges from this incident that still count; "
                        "there is nothing to forgive."
                    )
                    % {"display_name": participant.membership.display_name}
                )
            title = postmortem.incident.title
            running = _running_pauses(participant)
            entries = forgive_charges(
                charges=charges,
                reason=in_community_language(
                    postmortem.community,
                    lambda: (
                        _(
                            "Forgiven after the restorative circle: every agreement made in the "
                            "postmortem of “%(title)s” was kept."
                        )
                        % {"title": title}
                    ),
                ),
                by=by,
                kind=ForgivenessKind.AGREEMENT,
            )
            return CircleForgiveness.objects.create(
                postmortem=postmortem,
                participant=participant,
                by=by if by is not None and by.is_authenticated else None,
                charge_ids=sorted(entry.charge_id for entry in entries),
                cooldown_lifted=_lifted(running),
            )
    except IntegrityError:
        raise ServiceError(_("These charges were already forgiven.")) from None
