"""The circle page as each person meets it: an invitation and nothing else until they accept,
the circle and their own steps once they do, the moderators' tools, and refusals in words that
change nothing. The open agreements page is the moderators'."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from budgets.models import Forgiveness
from community.models import Community, Membership
from incidents.postmortems.circle import services
from incidents.postmortems.models import Agreement, Consent, ExchangeStage, Participant
from tests.circle.helpers import Circle, agreed, friction

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# Stored identifiers that must never reach a page.
RAW = re.compile(r"\b(not_kept|awaiting_approval|not_proposed|in_review|flag_upheld)\b")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(ring: Circle, tail: str = "") -> str:
    return f"/c/garden/postmortems/{ring.postmortem.pk}/circle/{tail}"


def test_an_invited_member_sees_only_their_invitation_until_they_accept(
    ring: Circle, sue: Membership
) -> None:
    services.invite_participant(
        postmortem=ring.postmortem, membership=sue, role="supporter", by=None
    )
    client = client_for(sue.user)  # type: ignore[arg-type]
    page = client.get(url(ring)).content.decode()
    assert "You are invited" in page and "as supporter" in page
    assert "milo_member" not in page and "rafa_responsible" not in page
    # Circle work before accepting is refused; nothing changes.
    refused = client.post(url(ring, "exchanges/"), {"responsible": ring.responsible.pk, "ask": "x"})
    assert refused.status_code == 403
    answered = client.post(url(ring, "answer/"), {"answer": "accept"}, headers=HTMX)
    assert answered.status_code == 200
    text = answered.content.decode()
    assert "Thank you for joining the circle." in text
    assert "milo_member — harmed" in text and "rafa_responsible — responsible" in text


def test_a_member_who_declined_is_told_so_and_sees_nothing_of_the_circle(
    ring: Circle, sue: Membership
) -> None:
    services.invite_participant(
        postmortem=ring.postmortem, membership=sue, role="supporter", by=None
    )
    client = client_for(sue.user)  # type: ignore[arg-type]
    client.post(url(ring, "answer/"), {"answer": "decline"})
    page = client.get(url(ring)).content.decode()
    assert "Nobody will ask you again" in page
    assert "milo_member" not in page
    assert Participant.objects.get(membership=sue).consent == Consent.DECLINED


def test_a_member_who_was_not_invited_does_not_learn_the_circle_exists(
    ring: Circle, community: Community
) -> None:
    stranger = User.objects.create_user("sam_stranger")
    Membership.objects.create(community=community, user=stranger, display_name="sam_stranger")
    assert client_for(stranger).get(url(ring)).status_code == 404


def test_each_person_sees_the_step_that_is_theirs(ring: Circle, member: User) -> None:
    harmed = client_for(member)
    responsible = client_for(ring.responsible.membership.user)  # type: ignore[arg-type]
    asked = harmed.post(
        url(ring, "exchanges/"),
        {"responsible": ring.responsible.pk, "ask": "Say my plot was not for sale"},
        headers=HTMX,
    )
    assert "Waiting for rafa_responsible" in asked.content.decode()
    assert "Send my answer" not in asked.content.decode()
    page = responsible.get(url(ring)).content.decode()
    assert "Send my answer" in page
    x = ring.postmortem.repair_exchanges.get()
    responsible.post(url(ring, f"exchanges/{x.pk}/answer/"), {"answer": "I will post it"})
    assert "This answer helps" in harmed.get(url(ring)).content.decode()
    harmed.post(url(ring, f"exchanges/{x.pk}/review/"), {"satisfied": "yes", "review": ""})
    x.refresh_from_db()
    assert x.stage == ExchangeStage.REVIEWED


def test_a_participant_never_sees_anyone_s_budget_or_the_moderators_tools(
    ring: Circle, member: User
) -> None:
    friction(membership=ring.responsible.membership, space=ring.space, external_id="f-1")
    page = client_for(member).get(url(ring)).content.decode()
    assert "Forgiveness" not in page and "charge" not in page.lower()
    assert "Invite" not in page and "Mark kept" not in page
    assert client_for(member).get("/c/garden/agreements/").status_code == 403


def test_an_agreement_without_an_owner_or_date_is_refused_in_words_and_nothing_is_added(
    ring: Circle, moderator: User
) -> None:
    client = client_for(moderator)
    no_owner = client.post(
        url(ring, "agreements/"), {"text": "Post a note", "due_on": "2030-01-01"}, headers=HTMX
    )
    assert no_owner.status_code == 400
    assert "needs an owner" in no_owner.content.decode()
    no_date = client.post(
        url(ring, "agreements/"), {"text": "Post a note", "owner": ring.responsible.pk}
    )
    assert no_date.status_code == 400 and "needs a due date" in no_date.content.decode()
    assert not Agreement.objects.exists()
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    added = client.post(
        url(ring, "agreements/"),
        {"text": "Post a note", "owner": ring.responsible.pk, "due_on": due},
        headers=HTMX,
    )
    assert added.status_code == 200 and "each party is asked to agree" in added.content.decode()


def test_the_moderator_forgives_in_one_confirmed_action_once_every_agreement_is_kept(
    ring: Circle, moderator: User
) -> None:
    friction(membership=ring.responsible.membership, space=ring.space, external_id="f-1")
    agreement = agreed(ring.postmortem, ring.responsible)
    client = client_for(moderator)
    page = client.get(url(ring)).content.decode()
    assert "still open; forgive once every agreement is kept" in page
    refused = client.post(url(ring, f"participants/{ring.responsible.pk}/forgive/"), headers=HTMX)
    assert refused.status_code == 400 and not Forgiveness.objects.exists()
    client.post(url(ring, f"agreements/{agreement.pk}/decide/"), {"outcome": "kept"})
    page = client.get(url(ring)).content.decode()
    assert 'hx-confirm="Forgive 1 related charge of rafa_responsible?' in page
    done = client.post(url(ring, f"participants/{ring.responsible.pk}/forgive/"), headers=HTMX)
    assert done.status_code == 200 and "the budget has recovered" in done.content.decode()
    assert Forgiveness.objects.count() == 1
    assert not RAW.search(done.content.decode())


def test_the_open_agreements_page_lists_them_soonest_first_with_the_kept_share(
    ring: Circle, moderator: User, django_assert_max_num_queries: object
) -> None:
    later = agreed(ring.postmortem, ring.harmed, "Tell the facilitator how it feels")
    sooner = agreed(
        ring.postmortem, ring.responsible, due_on=timezone.localdate() + timedelta(days=1)
    )
    decided = agreed(ring.postmortem, ring.responsible, "Re-read the trading rules")
    services.decide_agreement(agreement=decided, kept=False, by=None)
    client = client_for(moderator)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        page = client.get("/c/garden/agreements/").content.decode()
    assert page.index(sooner.text) < page.index(later.text)
    assert "Re-read the trading rules" not in page
    assert "0 % of decided agreements were kept (0 kept, 1 not kept). 2 open." in page
    assert not RAW.search(page)
