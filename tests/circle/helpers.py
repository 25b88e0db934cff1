"""Shared pieces for circle tests: a resolved incident with its postmortem, friction charged
in its space, and a circle of members who accepted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from budgets.models import Charge
from budgets.services import charge_events
from community.models import Community, ConductEvent, Membership, Space
from incidents.postmortems import services as postmortem_services
from incidents.postmortems.circle import services
from incidents.postmortems.models import Agreement, Participant, Postmortem
from tests.postmortems.helpers import resolved_incident


def friction(
    *, membership: Membership, space: Space, at: datetime | None = None, external_id: str
) -> Charge:
    """An upheld flag on ``membership``'s post in ``space``, charged as ingest would."""
    event = ConductEvent.objects.create(
        community=membership.community,
        kind="flag_upheld",
        category="personal",
        severity="moderate",
        member=membership,
        space=space,
        occurred_at=at or timezone.now() - timedelta(minutes=30),
        external_id=external_id,
    )
    return charge_events(community=membership.community, events=[event])[0]


def joined(
    postmortem: Postmortem, membership: Membership, role: str, by: User | None = None
) -> Participant:
    """Invite ``membership`` and let them accept."""
    invited = services.invite_participant(
        postmortem=postmortem, membership=membership, role=role, by=by
    )
    return services.answer_invitation(participant=invited, accept=True)


def agreed(
    postmortem: Postmortem,
    owner: Participant,
    text: str = "Post a short note in the thread saying what I will do differently",
    due_on: date | None = None,
) -> Agreement:
    """An agreement of ``owner`` that every party has agreed to."""
    agreement = services.add_agreement(
        postmortem=postmortem,
        text=text,
        owner=owner,
        due_on=due_on or timezone.localdate() + timedelta(days=7),
        by=None,
    )
    for consent in agreement.consents.select_related("participant"):
        services.answer_consent(agreement=agreement, participant=consent.participant, give=True)
    return agreement


@dataclass
class Circle:
    postmortem: Postmortem
    harmed: Participant
    responsible: Participant
    space: Space


def circle(
    *,
    community: Community,
    moderator: User,
    harmed: Membership,
    responsible: Membership,
    title: str = "Seed swap: a tense trade",
) -> Circle:
    space = Space.objects.get_or_create(community=community, name="Seed swap")[0]
    incident = resolved_incident(
        community=community,
        space=space,
        moderator=moderator,
        parties=[harmed, responsible],
        title=title,
    )
    postmortem = postmortem_services.start_postmortem(incident=incident, by=moderator)
    return Circle(
        postmortem=postmortem,
        harmed=joined(postmortem, harmed, "harmed", moderator),
        responsible=joined(postmortem, responsible, "responsible", moderator),
        space=space,
    )
