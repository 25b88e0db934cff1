"""The circle's API: participants, agreements (mark kept / not kept) and forgiveness as an
explicit action; reads need ``read``, writes ``moderate``; refusals are 400 with the reason and
change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from budgets.models import Forgiveness
from community.models import Community, Membership
from incidents.postmortems.circle import services
from incidents.postmortems.models import Agreement, AgreementStatus, Participant
from tests.circle.helpers import Circle, agreed, friction
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def test_participants_are_listed_and_invited_through_the_api(
    ring: Circle, api: APIClient, sue: Membership, community: Community
) -> None:
    listed = api.get(f"/api/v1/postmortems/{ring.postmortem.pk}/participants/")
    assert listed.status_code == 200
    assert {(p["display_name"], p["role"], p["consent"]) for p in listed.json()} == {
        ("milo_member", "harmed", "accepted"),
        ("rafa_responsible", "responsible", "accepted"),
    }
    invited = api.post(
        f"/api/v1/postmortems/{ring.postmortem.pk}/participants/",
        {"member_id": sue.pk, "role": "supporter"},
        format="json",
    )
    assert invited.status_code == 201 and invited.json()["consent"] == "invited"
    again = api.post(
        f"/api/v1/postmortems/{ring.postmortem.pk}/participants/",
        {"member_id": sue.pk, "role": "harmed"},
        format="json",
    )
    assert again.status_code == 400 and "already invited" in again.json()["detail"]
    reader = api_client_for(community, "read")
    refused = reader.post(
        f"/api/v1/postmortems/{ring.postmortem.pk}/participants/",
        {"member_id": sue.pk, "role": "supporter"},
        format="json",
    )
    assert refused.status_code == 403
    assert Participant.objects.filter(membership=sue).count() == 1


def test_an_agreement_without_an_owner_or_a_due_date_is_a_400_that_adds_nothing(
    ring: Circle, api: APIClient
) -> None:
    path = f"/api/v1/postmortems/{ring.postmortem.pk}/agreements/"
    no_owner = api.post(path, {"text": "Post a note", "due_on": "2030-01-01"}, format="json")
    assert no_owner.status_code == 400 and "needs an owner" in no_owner.json()["detail"]
    no_date = api.post(
        path, {"text": "Post a note", "owner_id": ring.responsible.pk}, format="json"
    )
    assert no_date.status_code == 400 and "needs a due date" in no_date.json()["detail"]
    assert not Agreement.objects.exists()
    due = (timezone.localdate() + timedelta(days=4)).isoformat()
    made = api.post(
        path, {"text": "Post a note", "owner_id": ring.responsible.pk, "due_on": due}, format="json"
    )
    assert made.status_code == 201
    assert made.json()["status"] == "open"
    assert {c["answer"] for c in made.json()["consents"]} == {"pending"}
    assert made.json()["in_effect"] is False
    agreement = Agreement.objects.get()
    for consent in agreement.consents.select_related("participant"):
        services.answer_consent(agreement=agreement, participant=consent.participant, give=True)
    read = api.get(f"/api/v1/agreements/{agreement.pk}/").json()
    assert read["in_effect"] is True and {c["answer"] for c in read["consents"]} == {"given"}


def test_agreements_are_marked_and_forgiveness_is_an_explicit_action(
    ring: Circle, api: APIClient
) -> None:
    charge = friction(membership=ring.responsible.membership, space=ring.space, external_id="f-1")
    agreement = agreed(ring.postmortem, ring.responsible)
    forgive = f"/api/v1/participants/{ring.responsible.pk}/forgive/"
    early = api.post(forgive)
    assert early.status_code == 400 and "still open" in early.json()["detail"]
    assert not Forgiveness.objects.exists()
    kept = api.post(
        f"/api/v1/agreements/{agreement.pk}/decision/", {"outcome": "kept"}, format="json"
    )
    assert kept.status_code == 200 and kept.json()["status"] == "kept"
    listed = api.get("/api/v1/agreements/?status=kept").json()
    assert [a["id"] for a in listed] == [agreement.pk]
    assert api.get("/api/v1/agreements/?status=done").status_code == 400
    done = api.post(forgive)
    assert done.status_code == 201 and done.json()["charge_ids"] == [charge.pk]
    assert Forgiveness.objects.get().charge_id == charge.pk
    assert api.post(forgive).status_code == 400
    assert Agreement.objects.get().status == AgreementStatus.KEPT
