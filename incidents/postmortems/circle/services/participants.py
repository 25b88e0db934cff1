"""Who takes part in the circle, and what the harmed members went through and need.

Nobody takes part without accepting: an invitation is a question, and only an accepted
participant can be named in the circle's work (a harm, an obligation, a repair exchange, an
agreement). A member who declines is never asked again for that incident: their row stays,
and inviting them again is refused.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.language import language_for_membership
from community.models import Membership, NotificationKind
from community.notifications import notify
from community.services import ServiceError
from incidents.postmortems.models import (
    Agreement,
    AgreementConsent,
    Consent,
    Harm,
    ObligationOf,
    Participant,
    ParticipantRole,
    Postmortem,
)

ROLE_WORDS = {
    ParticipantRole.HARMED: gettext_lazy("someone who was hurt and whose needs come first"),
    ParticipantRole.RESPONSIBLE: gettext_lazy("someone whose words were part of what happened"),
    ParticipantRole.SUPPORTER: gettext_lazy("a supporter for someone in the circle"),
    ParticipantRole.FACILITATOR: gettext_lazy(
        "the facilitator, who keeps the circle calm and fair"
    ),
}


def circle_link(postmortem: Postmortem) -> str:
    return reverse("circle:page", kwargs={"slug": postmortem.community.slug, "pk": postmortem.pk})


def _person(by: User | None) -> User | None:
    return by if by is not None and by.is_authenticated else None


# What circle work would make of someone, each said whole: (declined, not yet accepted).
_NOT_ACCEPTED = {
    "agreement": (
        gettext_lazy("%(name)s declined to take part, so they cannot be given an agreement."),
        gettext_lazy(
            "%(name)s has not accepted the invitation yet, so they cannot be given an "
            "agreement. Nobody takes part in the circle without accepting."
        ),
    ),
    "exchange": (
        gettext_lazy(
            "%(name)s declined to take part, so they cannot be part of a repair exchange."
        ),
        gettext_lazy(
            "%(name)s has not accepted the invitation yet, so they cannot be part of a repair "
            "exchange. Nobody takes part in the circle without accepting."
        ),
    ),
    "asked": (
        gettext_lazy("%(name)s declined to take part, so they cannot be asked for a repair."),
        gettext_lazy(
            "%(name)s has not accepted the invitation yet, so they cannot be asked for a "
            "repair. Nobody takes part in the circle without accepting."
        ),
    ),
    "facilitator": (
        gettext_lazy("%(name)s declined to take part, so they cannot be the facilitator."),
        gettext_lazy(
            "%(name)s has not accepted the invitation yet, so they cannot be the facilitator. "
            "Nobody takes part in the circle without accepting."
        ),
    ),
    "named": (
        gettext_lazy(
            "%(name)s declined to take part, so they cannot be named in the circle's work."
        ),
        gettext_lazy(
            "%(name)s has not accepted the invitation yet, so they cannot be named in the "
            "circle's work. Nobody takes part in the circle without accepting."
        ),
    ),
    "obligation": (
        gettext_lazy("%(name)s declined to take part, so they cannot be given an obligation."),
        gettext_lazy(
            "%(name)s has not accepted the invitation yet, so they cannot be given an "
            "obligation. Nobody takes part in the circle without accepting."
        ),
    ),
}


def require_accepted(participant: Participant, doing: str) -> None:
    """Refuse circle work (``doing``, a key of ``_NOT_ACCEPTED``) that names someone who has
    not accepted to take part."""
    if participant.consent != Consent.ACCEPTED:
        declined, pending = _NOT_ACCEPTED[doing]
        refusal = declined if participant.consent == Consent.DECLINED else pending
        raise ServiceError(str(refusal) % {"name": participant.membership.display_name})


def invite_participant(
    *, postmortem: Postmortem, membership: Membership, role: str, by: User | None
) -> Participant:
    """Ask ``membership`` to take part with ``role``; they are told and may accept or decline."""
    if role not in ParticipantRole.values:
        raise ServiceError(_("Choose a role: harmed, responsible, supporter or facilitator."))
    if membership.community_id != postmortem.community_id:
        raise ServiceError(_("Only members of this community can be invited to its circle."))
    existing = Participant.objects.filter(postmortem=postmortem, membership=membership).first()
    if existing is not None:
        if existing.consent == Consent.DECLINED:
            raise ServiceError(
                _(
                    "%(display_name)s declined to take part in this circle; they will not be "
                    "asked again for this incident."
                )
                % {"display_name": membership.display_name}
            )
        raise ServiceError(
            _("%(display_name)s is already invited to this circle.")
            % {"display_name": membership.display_name}
        )
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                postmortem=postmortem, membership=membership, role=role, invited_by=_person(by)
            )
            with translation.override(language_for_membership(membership)):
                notify(
                    community=postmortem.community,
                    recipients=[membership],
                    kind=NotificationKind.CIRCLE_INVITATION,
                    title=_("You are invited to a restorative circle"),
                    body=_(
                        "After a recent conflict, the moderators are bringing the people involved "
                        "together to understand it and repair what can be repaired. You are asked "
                        "to join as %(role)s. Taking part is your choice: you can accept or "
                        "decline, and if you decline nobody will ask again."
                    )
                    % {"role": ROLE_WORDS[ParticipantRole(role)]},
                    link=circle_link(postmortem),
                    key=f"circle-invitation:{postmortem.pk}",
                )
    except IntegrityError:
        raise ServiceError(
            _("%(display_name)s is already invited to this circle.")
            % {"display_name": membership.display_name}
        ) from None
    return participant


def answer_invitation(*, participant: Participant, accept: bool) -> Participant:
    """The invited member accepts or declines, once. Declining is final for this incident."""
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.consent != Consent.INVITED:
            answered = "accepted" if locked.consent == Consent.ACCEPTED else "declined"
            raise ServiceError(
                _("You have already %(answered)s this invitation.") % {"answered": answered}
            )
        locked.consent = Consent.ACCEPTED if accept else Consent.DECLINED
        locked.responded_at = timezone.now()
        locked.save(update_fields=["consent", "responded_at"])
        if accept:
            # Every party consents: one who joins later is asked about each open agreement.
            AgreementConsent.objects.bulk_create(
                [
                    AgreementConsent(agreement=a, participant=locked)
                    for a in Agreement.objects.open().filter(postmortem_id=locked.postmortem_id)
                ],
                ignore_conflicts=True,
            )
    return locked


def record_harm(
    *,
    postmortem: Postmortem,
    harmed: Participant,
    harm: str,
    need: str,
    obligation_of: str,
    obligated: Participant | None,
) -> Harm:
    """For a harmed participant: what happened to them, what they need, and whose obligation
    meeting that need is (a participant who accepted, the moderators or the community)."""
    if harmed.postmortem_id != postmortem.pk:
        raise ServiceError(_("That person is not in this circle."))
    if harmed.role != ParticipantRole.HARMED:
        raise ServiceError(_("A harm is recorded for a participant who was harmed."))
    require_accepted(harmed, "named")
    harm, need = harm.strip(), need.strip()
    if not harm or not need:
        raise ServiceError(_("Write both what they went through and what they need."))
    if obligation_of not in ObligationOf.values:
        raise ServiceError(
            _("Say whose obligation it is: a participant, the moderators or all of us.")
        )
    if obligation_of == ObligationOf.PARTICIPANT:
        if obligated is None:
            raise ServiceError(_("Choose the participant whose obligation it is."))
        if obligated.postmortem_id != postmortem.pk:
            raise ServiceError(_("That person is not in this circle."))
        require_accepted(obligated, "obligation")
    else:
        obligated = None
    return Harm.objects.create(
        postmortem=postmortem,
        harmed=harmed,
        harm=harm[:4000],
        need=need[:4000],
        obligation_of=obligation_of,
        obligated=obligated,
    )
