"""Access helpers for the circle: the only way a page or an API view fetches a circle, a
participant, a repair exchange or an agreement (web and API share them through
``CommunityAccess``).

* Moderators (and ``read`` / ``moderate`` keys) see every circle of their community; changing
  who takes part, agreements, their outcome and forgiveness needs a moderator (or a
  ``moderate`` key): 403 for those who may only see.
* A member who was invited sees their own invitation and nothing else of the circle until
  they accept; one who declined sees only that they declined.
* A member who accepted sees the circle they take part in (who takes part and in which role,
  the harms and needs, the repair exchanges, the agreements), and takes the steps that are
  theirs. Never anyone's budget: the circle shows none.
* Anyone else: 404 (it is not theirs to know of).

The circle belongs to its postmortem; the document's own visibility (who reads its
sections) is the postmortem's rule, and the public reads only its published public summary.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from community.access import CommunityAccess
from incidents.postmortems.models import (
    Agreement,
    Consent,
    Harm,
    Participant,
    ParticipantRole,
    Postmortem,
    RepairExchange,
)
from incidents.postmortems.models.circle import AgreementQuerySet, ParticipantQuerySet

NOT_FOUND = "No such circle."
MANAGE_MESSAGE = "Only this community's moderators can change the circle."


@dataclass(frozen=True)
class Seat:
    """A circle as one reader sees it: the postmortem, the reader's own place in it (if they
    were invited) and whether they see and manage the whole circle."""

    postmortem: Postmortem
    me: Participant | None
    sees_all: bool
    manages: bool

    @property
    def in_circle(self) -> bool:
        """Whether the reader sees the circle's work (accepted, or a moderator)."""
        return self.sees_all or (self.me is not None and self.me.consent == Consent.ACCEPTED)


def _mine(access: CommunityAccess, postmortem: Postmortem) -> Participant | None:
    if access.membership is None:
        return None
    return (
        Participant.objects.filter(postmortem=postmortem, membership=access.membership)
        .select_related("membership")
        .first()
    )


def get_circle(access: CommunityAccess, pk: int, *, manage: bool = False) -> Seat:
    """The circle of postmortem ``pk`` as ``access`` may see it (404 for whoever was not
    invited to it and does not moderate; ``manage`` needs a moderator: 403)."""
    postmortem = (
        Postmortem.objects.filter(community=access.community, pk=pk)
        .select_related("incident", "community")
        .first()
    )
    if postmortem is None:
        raise Http404(NOT_FOUND)
    me = _mine(access, postmortem)
    if not access.sees_member_records and me is None:
        raise Http404(NOT_FOUND)
    if manage:
        access.require_moderator(MANAGE_MESSAGE)
    return Seat(
        postmortem=postmortem,
        me=me,
        sees_all=access.sees_member_records,
        manages=access.is_moderator,
    )


def require_in_circle(seat: Seat) -> None:
    """The circle's work is for those who accepted (and the moderators): 403 for an invited
    member who has not accepted, or one who declined."""
    if not seat.in_circle:
        raise PermissionDenied("Accept the invitation to take part in the circle first.")


def my_seat(seat: Seat) -> Participant:
    """The reader's own place in the circle, accepted (403 otherwise)."""
    if seat.me is None or seat.me.consent != Consent.ACCEPTED:
        raise PermissionDenied("Only the circle's participants take this step.")
    return seat.me


def get_participant(seat: Seat, pk: int | None) -> Participant | None:
    """A participant of the seat's circle (None for no id; 404 for another circle's)."""
    if pk is None:
        return None
    require_in_circle(seat)
    found = (
        Participant.objects.filter(postmortem=seat.postmortem, pk=pk)
        .select_related("membership", "postmortem__incident")
        .first()
    )
    if found is None:
        raise Http404("No such participant in this circle.")
    return found


def circle_participants(seat: Seat) -> ParticipantQuerySet:
    """Everyone invited to the seat's circle (those who see the whole circle), or those who
    take part (a participant does not see who was asked and said no)."""
    require_in_circle(seat)
    rows = Participant.objects.filter(postmortem=seat.postmortem).select_related("membership")
    return rows if seat.sees_all else rows.accepted()


def get_participant_by_id(access: CommunityAccess, pk: int, *, manage: bool = False) -> Participant:
    """A participant fetched by id alone (the API's forgive action): its circle's rule."""
    found = (
        Participant.objects.filter(postmortem__community=access.community, pk=pk)
        .select_related("membership", "postmortem__incident", "postmortem__community")
        .first()
    )
    if found is None:
        raise Http404("No such participant.")
    seat = get_circle(access, found.postmortem_id, manage=manage)
    require_in_circle(seat)
    return found


def get_harm(seat: Seat, pk: int | None) -> Harm | None:
    if pk is None:
        return None
    require_in_circle(seat)
    found = Harm.objects.filter(postmortem=seat.postmortem, pk=pk).first()
    if found is None:
        raise Http404("No such harm in this circle.")
    return found


def get_exchange(seat: Seat, pk: int) -> RepairExchange:
    require_in_circle(seat)
    found = RepairExchange.objects.filter(postmortem=seat.postmortem, pk=pk).first()
    if found is None:
        raise Http404("No such repair exchange in this circle.")
    return found


def visible_agreements(access: CommunityAccess) -> AgreementQuerySet:
    """Every agreement of the community (moderation records: 403 for others)."""
    if not access.sees_member_records:
        raise PermissionDenied("Only this community's moderators can see every agreement.")
    return Agreement.objects.filter(postmortem__community=access.community).select_related(
        "owner__membership", "postmortem__incident"
    )


FACILITATE_MESSAGE = "Only the circle's facilitator or a moderator can withdraw or revise it."


def get_agreement(
    access: CommunityAccess, pk: int, *, manage: bool = False, facilitate: bool = False
) -> Agreement:
    """An agreement: whoever sees its circle's work sees it (404 otherwise); ``manage`` needs
    a moderator (403); ``facilitate`` a moderator or the circle's facilitator who accepted
    (403)."""
    found = (
        Agreement.objects.filter(postmortem__community=access.community, pk=pk)
        .select_related("owner__membership", "postmortem__incident", "postmortem__community")
        .first()
    )
    if found is None:
        raise Http404("No such agreement.")
    seat = get_circle(access, found.postmortem_id)
    if not seat.in_circle:
        raise Http404("No such agreement.")
    if manage:
        access.require_moderator(MANAGE_MESSAGE)
    if facilitate and not access.is_moderator and not _facilitates(seat):
        raise PermissionDenied(FACILITATE_MESSAGE)
    return found


def _facilitates(seat: Seat) -> bool:
    me = seat.me
    return (
        me is not None and me.consent == Consent.ACCEPTED and me.role == ParticipantRole.FACILITATOR
    )
