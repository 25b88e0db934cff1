"""The circle's rules: consent before anything, declining is final, the repair exchange one
step per person, agreements with an owner, a due date and every party's consent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from community.models import Membership, Notification, NotificationKind
from community.services import ServiceError
from incidents.models import TimelineEntry, TimelineKind
from incidents.postmortems.circle import services
from incidents.postmortems.models import (
    Agreement,
    AgreementStatus,
    Consent,
    ExchangeStage,
    Harm,
    Participant,
    RepairExchange,
)
from tests.circle.helpers import Circle, agreed, joined

pytestmark = pytest.mark.django_db


def test_an_invitation_is_a_question_told_to_the_member_kindly(
    ring: Circle, community: object, moderator: object
) -> None:
    note = Notification.objects.get(
        recipient=ring.harmed.membership, kind=NotificationKind.CIRCLE_INVITATION
    )
    assert "Taking part is your choice" in note.body
    assert note.link.endswith(f"/postmortems/{ring.postmortem.pk}/circle/")


def test_nobody_takes_part_in_the_circle_s_work_without_accepting(
    ring: Circle, fran: Membership
) -> None:
    invited = services.invite_participant(
        postmortem=ring.postmortem, membership=fran, role="harmed", by=None
    )
    assert invited.consent == Consent.INVITED
    with pytest.raises(ServiceError, match="has not accepted the invitation yet"):
        services.record_harm(
            postmortem=ring.postmortem,
            harmed=invited,
            harm="Was called names",
            need="An apology",
            obligation_of="moderators",
            obligated=None,
        )
    with pytest.raises(ServiceError, match="has not accepted"):
        services.add_agreement(
            postmortem=ring.postmortem,
            text="Check in",
            owner=invited,
            due_on=timezone.localdate(),
            by=None,
        )
    with pytest.raises(ServiceError, match="has not accepted"):
        services.ask_for_repair(harmed=invited, responsible=ring.responsible, ask="Say sorry")
    assert not Harm.objects.exists()
    assert not Agreement.objects.exists()
    assert not RepairExchange.objects.exists()


def test_a_member_who_declines_is_never_asked_again_for_that_incident(
    ring: Circle, fran: Membership
) -> None:
    invited = services.invite_participant(
        postmortem=ring.postmortem, membership=fran, role="supporter", by=None
    )
    services.answer_invitation(participant=invited, accept=False)
    with pytest.raises(ServiceError, match="will not be asked again"):
        services.invite_participant(
            postmortem=ring.postmortem, membership=fran, role="facilitator", by=None
        )
    with pytest.raises(ServiceError, match="already declined"):
        services.answer_invitation(participant=invited, accept=True)
    row = Participant.objects.get(postmortem=ring.postmortem, membership=fran)
    assert (row.consent, row.role) == (Consent.DECLINED, "supporter")


def test_a_harm_names_whose_obligation_the_need_is(ring: Circle) -> None:
    harm = services.record_harm(
        postmortem=ring.postmortem,
        harmed=ring.harmed,
        harm="My plot was called a scam in front of everyone",
        need="That the thread says it was not",
        obligation_of="participant",
        obligated=ring.responsible,
    )
    assert harm.obligated == ring.responsible
    with pytest.raises(ServiceError, match="Choose the participant"):
        services.record_harm(
            postmortem=ring.postmortem,
            harmed=ring.harmed,
            harm="x",
            need="y",
            obligation_of="participant",
            obligated=None,
        )
    with pytest.raises(ServiceError, match="a participant who was harmed"):
        services.record_harm(
            postmortem=ring.postmortem,
            harmed=ring.responsible,
            harm="x",
            need="y",
            obligation_of="community",
            obligated=None,
        )
    assert Harm.objects.count() == 1


def test_the_repair_exchange_takes_each_step_by_its_own_person(with_facilitator: Circle) -> None:
    ring = with_facilitator
    facilitator = Participant.objects.get(postmortem=ring.postmortem, role="facilitator")
    x = services.ask_for_repair(
        harmed=ring.harmed, responsible=ring.responsible, ask="Say my plot was not for sale"
    )
    with pytest.raises(ServiceError, match="Only the person who was asked"):
        services.answer_repair(exchange=x, by=ring.harmed, answer="No")
    with pytest.raises(ServiceError, match="no new answer"):
        services.review_repair(exchange=x, by=ring.harmed, satisfied=True, review="")
    x = services.answer_repair(exchange=x, by=ring.responsible, answer="I will post it tonight")
    with pytest.raises(ServiceError, match="Only the person who asked"):
        services.review_repair(exchange=x, by=ring.responsible, satisfied=True, review="")
    with pytest.raises(ServiceError, match="what is still missing"):
        services.review_repair(exchange=x, by=ring.harmed, satisfied=False, review=" ")
    # Not satisfied: back to the responsible member for a new answer.
    x = services.review_repair(
        exchange=x, by=ring.harmed, satisfied=False, review="Please say it in the thread"
    )
    assert x.stage == ExchangeStage.ASKED
    x = services.answer_repair(exchange=x, by=ring.responsible, answer="In the thread, tonight")
    with pytest.raises(ServiceError, match="once the harmed member is satisfied"):
        services.confirm_repair(exchange=x, by=facilitator)
    x = services.review_repair(exchange=x, by=ring.harmed, satisfied=True, review="Thank you")
    with pytest.raises(ServiceError, match="facilitator confirms"):
        services.confirm_repair(exchange=x, by=ring.responsible)
    x = services.confirm_repair(exchange=x, by=facilitator)
    assert x.stage == ExchangeStage.CONFIRMED
    assert x.confirmed_by == facilitator
    assert x.answer == "In the thread, tonight"


@pytest.mark.parametrize(
    ("owner", "due", "message"),
    [
        (False, 7, "needs an owner"),
        (True, None, "needs a due date"),
        (True, -1, "already passed"),
    ],
)
def test_an_agreement_without_an_owner_or_a_due_date_is_refused(
    ring: Circle, owner: bool, due: int | None, message: str
) -> None:
    with pytest.raises(ServiceError, match=message):
        services.add_agreement(
            postmortem=ring.postmortem,
            text="Post a note",
            owner=ring.responsible if owner else None,
            due_on=None if due is None else timezone.localdate() + timedelta(days=due),
            by=None,
        )
    assert not Agreement.objects.exists()


def test_kept_needs_every_party_s_consent_and_is_decided_once(
    with_facilitator: Circle, sue: Membership, fran: Membership
) -> None:
    ring = with_facilitator
    supporter = joined(ring.postmortem, sue, "supporter")
    facilitator = Participant.objects.get(postmortem=ring.postmortem, membership=fran)
    agreement = services.add_agreement(
        postmortem=ring.postmortem,
        text="Post a note in the thread",
        owner=ring.responsible,
        due_on=timezone.localdate() + timedelta(days=3),
        by=None,
    )
    # Every participant who accepted is a party: supporters and the facilitator too.
    parties = {c.participant_id for c in agreement.consents.all()}
    assert parties == {ring.responsible.pk, ring.harmed.pk, supporter.pk, facilitator.pk}
    services.answer_consent(agreement=agreement, participant=ring.responsible, give=True)
    services.answer_consent(agreement=agreement, participant=ring.harmed, give=True)
    with pytest.raises(ServiceError, match="still waiting for fran_facilitator, sue_supporter"):
        services.decide_agreement(agreement=agreement, kept=True, by=None)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.OPEN
    services.answer_consent(agreement=agreement, participant=facilitator, give=True)
    services.answer_consent(agreement=agreement, participant=supporter, give=True)
    services.decide_agreement(agreement=agreement, kept=True, note="Posted", by=None)
    [entry] = TimelineEntry.objects.filter(
        incident=ring.postmortem.incident, kind=TimelineKind.PM_AGREEMENT
    )
    # The incident's readers learn that it was kept, never what was agreed.
    assert entry.text == "An agreement made in the restorative circle was kept."
    assert "Posted" not in entry.text
    with pytest.raises(ServiceError, match="already marked kept"):
        services.decide_agreement(agreement=agreement, kept=False, by=None)
    with pytest.raises(ServiceError, match="can no longer change"):
        services.answer_consent(agreement=agreement, participant=ring.harmed, give=False)


def test_agreement_reminders_repeat_daily_to_the_owner_until_decided(ring: Circle) -> None:
    agreement = agreed(
        ring.postmortem, ring.responsible, due_on=timezone.localdate() + timedelta(days=1)
    )
    later = agreed(ring.postmortem, ring.harmed, due_on=timezone.localdate() + timedelta(days=9))
    now = timezone.now()
    assert services.remind_agreements(now=now) == 1
    assert services.remind_agreements(now=now + timedelta(hours=2)) == 0
    assert services.remind_agreements(now=now + timedelta(hours=25)) == 1
    notes = Notification.objects.filter(kind=NotificationKind.AGREEMENT_DUE)
    assert {n.recipient_id for n in notes} == {ring.responsible.membership_id}
    assert notes.count() == 2
    assert "agreements can be talked over" in notes.first().body  # type: ignore[union-attr]
    services.decide_agreement(agreement=agreement, kept=True, by=None)
    assert services.remind_agreements(now=now + timedelta(hours=50)) == 0
    later.refresh_from_db()
    assert later.last_reminded_at is None


def test_a_party_who_does_not_agree_keeps_the_agreement_from_taking_effect(
    with_facilitator: Circle, sue: Membership, moderator: object
) -> None:
    ring = with_facilitator
    agreement = services.add_agreement(
        postmortem=ring.postmortem,
        text="Check in with the facilitator in a week",
        owner=ring.responsible,
        due_on=timezone.localdate(),
        by=None,
    )
    for consent in agreement.consents.select_related("participant"):
        services.answer_consent(
            agreement=agreement,
            participant=consent.participant,
            give=consent.participant.role != "facilitator",
        )
    # Not in effect: no reminder for it, and it cannot be marked kept; the refusal says who.
    assert services.remind_agreements() == 0
    with pytest.raises(ServiceError, match="fran_facilitator did not agree"):
        services.decide_agreement(agreement=agreement, kept=True, by=None)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.OPEN
    client = Client()
    client.force_login(ring.harmed.membership.user)
    page = client.get(f"/c/garden/postmortems/{ring.postmortem.pk}/circle/").content.decode()
    assert "Not in effect: fran_facilitator did not agree." in page
    # A member who joins the circle later is a party too, and is asked.
    supporter = joined(ring.postmortem, sue, "supporter")
    assert agreement.consents.filter(participant=supporter, answer="pending").exists()
    kept = agreed(ring.postmortem, ring.harmed, due_on=timezone.localdate())
    assert kept.consents.count() == 4
    assert services.remind_agreements() == 1  # only the one every party agreed to
