"""An open agreement can be withdrawn or revised by the circle's facilitator (or a moderator):
the record keeps every wording and every answer, a revision asks every party again, and an
agreement a party refused no longer holds forgiveness back once it is withdrawn. Refusals say
why and change nothing; web and API alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from budgets.models import Forgiveness
from community.models import Community, Membership, Role
from community.services import ServiceError, set_role
from incidents.postmortems.circle import services
from incidents.postmortems.models import Agreement, AgreementStatus, ConsentAnswer
from tests.circle.helpers import Circle, agreed, friction, joined
from tests.conftest import api_client_for, make_user

pytestmark = pytest.mark.django_db


def _refused(ring: Circle) -> Agreement:
    """An agreement the harmed member did not agree to (the responsible member did)."""
    agreement = services.add_agreement(
        postmortem=ring.postmortem,
        text="Reply to every post of theirs with an apology",
        owner=ring.responsible,
        due_on=timezone.localdate() + timedelta(days=3),
        by=None,
    )
    services.answer_consent(agreement=agreement, participant=ring.harmed, give=False)
    services.answer_consent(agreement=agreement, participant=ring.responsible, give=True)
    return agreement


def _state(agreement: Agreement) -> tuple[object, ...]:
    agreement.refresh_from_db()
    answers = sorted(agreement.consents.values_list("participant_id", "answer"))
    return (agreement.status, agreement.text, agreement.decision_note, answers)


def test_a_refused_agreement_withdrawn_no_longer_holds_forgiveness_back(
    ring: Circle, moderator: User
) -> None:
    friction(membership=ring.responsible.membership, space=ring.space, external_id="f-1")
    refused = _refused(ring)
    kept = agreed(ring.postmortem, ring.responsible, text="Post a short note in the thread")
    services.decide_agreement(agreement=kept, kept=True, by=moderator)
    with pytest.raises(ServiceError, match="still open"):
        services.forgive_participant(participant=ring.responsible, by=moderator)
    before = _state(refused)
    with pytest.raises(ServiceError, match="Say why"):
        services.withdraw_agreement(agreement=refused, reason="  ", by=moderator)
    assert _state(refused) == before
    services.withdraw_agreement(
        agreement=refused, reason="It asked too much; we talked it over.", by=moderator
    )
    refused.refresh_from_db()
    assert refused.status == AgreementStatus.WITHDRAWN and refused.decided_at is not None
    assert refused.decision_note == "It asked too much; we talked it over."
    # The record keeps what everyone answered.
    assert refused.consents.get(participant=ring.harmed).answer == ConsentAnswer.REFUSED
    forgiveness = services.forgive_participant(participant=ring.responsible, by=moderator)
    assert forgiveness.charge_ids and Forgiveness.objects.count() == 1
    # Withdrawn is final, like a decision; a decided agreement cannot be withdrawn.
    with pytest.raises(ServiceError, match="already marked withdrawn"):
        services.withdraw_agreement(agreement=refused, reason="again", by=moderator)
    with pytest.raises(ServiceError, match="already marked kept, so it cannot be withdrawn"):
        services.withdraw_agreement(agreement=kept, reason="changed our minds", by=moderator)


def test_only_withdrawn_agreements_leave_nothing_to_forgive_for(
    ring: Circle, moderator: User
) -> None:
    friction(membership=ring.responsible.membership, space=ring.space, external_id="f-1")
    services.withdraw_agreement(agreement=_refused(ring), reason="Talked over", by=moderator)
    with pytest.raises(ServiceError, match="has no agreements yet"):
        services.forgive_participant(participant=ring.responsible, by=moderator)
    assert not Forgiveness.objects.exists()


def test_a_revision_asks_every_party_again_and_keeps_the_earlier_wording(
    with_facilitator: Circle, moderator: User
) -> None:
    ring = with_facilitator
    refused = _refused(ring)
    due = timezone.localdate() + timedelta(days=6)
    revision = services.revise_agreement(
        agreement=refused,
        text="Post one short note in the thread",
        owner=ring.responsible,
        due_on=due,
        by=moderator,
    )
    refused.refresh_from_db()
    assert refused.status == AgreementStatus.WITHDRAWN
    assert refused.decision_note.startswith("Revised")
    assert refused.text == "Reply to every post of theirs with an apology"
    assert revision.revises == refused and refused.revised_by == revision
    assert (revision.text, revision.due_on, revision.status) == (
        "Post one short note in the thread",
        due,
        AgreementStatus.OPEN,
    )
    # Nobody's earlier answer carries over: every party who accepted is asked again.
    answers = dict(revision.consents.values_list("participant__role", "answer"))
    assert answers == {"harmed": "pending", "responsible": "pending", "facilitator": "pending"}
    for consent in revision.consents.select_related("participant"):
        services.answer_consent(agreement=revision, participant=consent.participant, give=True)
    services.decide_agreement(agreement=revision, kept=True, by=moderator)
    assert services.forgiveness_refusal(ring.responsible) is None  # the revision was kept


def test_a_revision_that_breaks_a_rule_or_changes_nothing_is_refused(
    ring: Circle, moderator: User, community: Community
) -> None:
    refused = _refused(ring)
    before = (_state(refused), Agreement.objects.count())
    cases = [
        ({"text": refused.text, "due_on": refused.due_on}, "Nothing changed"),
        ({"text": "", "due_on": refused.due_on}, "Write what is agreed"),
        ({"text": "Other words", "due_on": None}, "needs a due date"),
        (
            {"text": "Other words", "due_on": timezone.localdate() - timedelta(days=1)},
            "already passed",
        ),
    ]
    for change, message in cases:
        with pytest.raises(ServiceError, match=message):
            services.revise_agreement(
                agreement=refused, owner=ring.responsible, by=moderator, **change
            )
    with pytest.raises(ServiceError, match="needs an owner"):
        services.revise_agreement(
            agreement=refused, text="Other words", owner=None, due_on=refused.due_on, by=None
        )
    user = make_user("dee_declined")
    set_role(community=community, user=user, role=Role.MEMBER)
    declined = services.invite_participant(
        postmortem=ring.postmortem,
        membership=Membership.objects.get(user=user),
        role="supporter",
        by=moderator,
    )
    services.answer_invitation(participant=declined, accept=False)
    with pytest.raises(ServiceError, match="given an agreement"):
        services.revise_agreement(
            agreement=refused, text="Other words", owner=declined, due_on=refused.due_on, by=None
        )
    assert (_state(refused), Agreement.objects.count()) == before


def test_the_facilitator_withdraws_and_revises_on_the_circle_page(
    ring: Circle, moderator: User, community: Community
) -> None:
    """A facilitator who is not a moderator may; another participant may not (403)."""
    user = make_user("faye_facilitator")
    set_role(community=community, user=user, role=Role.MEMBER)
    joined(ring.postmortem, Membership.objects.get(user=user), "facilitator", moderator)
    refused = _refused(ring)
    base = f"/c/garden/postmortems/{ring.postmortem.pk}/circle/agreements/{refused.pk}"
    harmed = Client()
    harmed.force_login(ring.harmed.membership.user)
    page = harmed.get(f"/c/garden/postmortems/{ring.postmortem.pk}/circle/").content.decode()
    assert "Withdraw or revise this agreement" not in page
    assert harmed.post(f"{base}/withdraw/", {"reason": "No"}).status_code == 403
    assert _state(refused)[0] == AgreementStatus.OPEN
    facilitator = Client()
    facilitator.force_login(user)
    page = facilitator.get(f"/c/garden/postmortems/{ring.postmortem.pk}/circle/").content.decode()
    assert "Withdraw or revise this agreement" in page
    blank = facilitator.post(f"{base}/revise/", {"text": "", "owner": ring.responsible.pk})
    assert blank.status_code == 400 and "Write what is agreed" in blank.content.decode()
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    revised = facilitator.post(
        f"{base}/revise/",
        {"text": "Post one short note", "owner": ring.responsible.pk, "due_on": due},
        HTTP_HX_REQUEST="true",
    )
    assert revised.status_code == 200
    body = revised.content.decode()
    assert "each party is asked to agree to the new wording" in body
    assert "A revised wording: everyone is asked again" in body
    assert "Withdrawn: Revised" in body
    revision = Agreement.objects.get(revises=refused)
    withdrawn = facilitator.post(
        f"/c/garden/postmortems/{ring.postmortem.pk}/circle/agreements/{revision.pk}/withdraw/",
        {"reason": "We chose to leave it there."},
    )
    assert withdrawn.status_code == 302
    revision.refresh_from_db()
    assert revision.status == AgreementStatus.WITHDRAWN
    assert revision.decision_note == "We chose to leave it there."


def test_withdraw_and_revise_through_the_api(
    ring: Circle, api: APIClient, community: Community
) -> None:
    refused = _refused(ring)
    reader = api_client_for(community, "read")
    assert (
        reader.post(f"/api/v1/agreements/{refused.pk}/withdraw/", {"reason": "x"}).status_code
        == 403
    )
    no_reason = api.post(f"/api/v1/agreements/{refused.pk}/withdraw/", {}, format="json")
    assert no_reason.status_code == 400
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    stale = api.post(
        f"/api/v1/agreements/{refused.pk}/revise/",
        {"text": "Post one note", "owner_id": ring.responsible.pk},
        format="json",
    )
    assert stale.status_code == 400 and "needs a due date" in stale.json()["detail"]
    assert _state(refused)[0] == AgreementStatus.OPEN and Agreement.objects.count() == 1
    made = api.post(
        f"/api/v1/agreements/{refused.pk}/revise/",
        {"text": "Post one note", "owner_id": ring.responsible.pk, "due_on": due},
        format="json",
    )
    assert made.status_code == 201
    new = made.json()
    assert new["revises_id"] == refused.pk and new["status"] == "open"
    assert {c["answer"] for c in new["consents"]} == {"pending"}
    old = api.get(f"/api/v1/agreements/{refused.pk}/").json()
    assert old["status"] == "withdrawn" and old["revised_by_id"] == new["id"]
    gone = api.post(
        f"/api/v1/agreements/{new['id']}/withdraw/", {"reason": "Talked over"}, format="json"
    )
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"
    again = api.post(
        f"/api/v1/agreements/{new['id']}/withdraw/", {"reason": "Twice"}, format="json"
    )
    assert again.status_code == 400 and "already marked withdrawn" in again.json()["detail"]
    listed = api.get("/api/v1/agreements/?status=withdrawn").json()
    assert sorted(a["id"] for a in listed) == sorted([refused.pk, new["id"]])
