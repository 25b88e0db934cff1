"""An action on something that changed meanwhile (another moderator acted while this page was
open) answers in words with a way to reload, and changes nothing: the war room (a facilitator
offer, a step acted on twice), the appeals queue, and publishing the contract."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from budgets import services as budget_services
from budgets.models import AppealStatus, Charge
from community.models import Community, ContractVersion, Membership, Role, Space
from community.services import set_role
from incidents import services
from incidents.models import FacilitatorHandoff, Incident, Runbook, StepStatus
from tests.conftest import make_user
from tests.contract.test_contract_pages import CLAUSE_FORM
from tests.incidents.conftest import fresh

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def room(incident: Incident) -> str:
    return f"/c/{incident.community.slug}/incidents/{incident.pk}/"


def _second_moderator(community: Community) -> Membership:
    return set_role(community=community, user=make_user("rowan"), role=Role.MODERATOR)


def test_a_facilitator_offer_from_a_stale_war_room_says_so_offers_a_reload_and_changes_nothing(
    incident: Incident, moderator: User, community: Community
) -> None:
    rowan = _second_moderator(community)
    seen = fresh(incident).version
    # The first moderator takes the role while the second still has the old page open.
    mine = Membership.objects.get(community=community, user=moderator)
    client_for(moderator).post(
        room(incident) + "facilitator/", {"membership": mine.pk, "version": seen}, **HTMX
    )
    after = fresh(incident)
    assert after.version > seen
    assert rowan.user is not None
    response = client_for(rowan.user).post(
        room(incident) + "facilitator/", {"membership": rowan.pk, "version": seen}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps it in
    assert "Someone else changed this incident while you were looking at it" in body
    assert 'data-testid="reload"' in body and f'href="{room(incident)}"' in body
    assert fresh(incident).version == after.version
    assert not FacilitatorHandoff.objects.filter(to_membership=rowan).exists()
    # Without JavaScript: back to the war room as it is now, with the same words.
    page = client_for(rowan.user).post(
        room(incident) + "facilitator/", {"membership": rowan.pk, "version": seen}, follow=True
    )
    assert "Someone else changed this incident" in page.content.decode()
    assert page.redirect_chain[-1][0] == room(incident)


def test_acting_on_a_step_already_acted_on_says_so_and_offers_a_reload(
    incident: Incident,
    moderator: User,
    runbook_a: Runbook,
    mod_actor: services.Actor,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_runbook(
            incident=incident,
            runbook=runbook_a,
            expected_version=fresh(incident).version,
            actor=mod_actor,
        )
    step = run.steps.exclude(status__in=(StepStatus.DONE, StepStatus.SKIPPED)).order_by("position")[
        0
    ]
    client = client_for(moderator)
    url = room(incident) + f"steps/{step.pk}/skip/"
    first = client.post(
        url, {"version": fresh(incident).version, "reason": "Not needed here."}, **HTMX
    )
    assert "Step skipped." in first.content.decode()
    version = fresh(incident).version
    timeline = incident.timeline.count()
    # The same click again (a double click, or a second tab) with the page's current version.
    again = client.post(url, {"version": version, "reason": "Not needed here."}, **HTMX)
    body = again.content.decode()
    assert f"Step {step.position} is already skipped." in body
    assert 'data-testid="reload"' in body
    assert fresh(incident).version == version and incident.timeline.count() == timeline


def test_deciding_an_appeal_decided_meanwhile_says_so_with_a_reload_and_changes_nothing(
    community: Community, moderator: User, member_membership: Membership, space: Space
) -> None:
    charge = budget_services.create_charge(
        community=community,
        membership=member_membership,
        kind="moderator_warning",
        severity="moderate",
        reason="A sharp reply",
        occurred_at=timezone.now(),
        by=moderator,
    )
    appeal = budget_services.file_appeal(
        charge=charge, membership=member_membership, statement="It was a joke between friends."
    )
    rowan = _second_moderator(community)
    assert rowan.user is not None
    budget_services.decide_appeal(appeal=appeal, uphold=True, reason="Agreed.", by=rowan.user)
    response = client_for(moderator).post(
        f"/c/{community.slug}/budgets/appeals/{appeal.pk}/decide/",
        {"decision": "stands", "reason": "It stands."},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 400  # swapped by htmx (see base.html's responseHandling)
    assert "already been decided" in body and "Reload the queue" in body
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD and appeal.decision_reason == "Agreed."
    assert not Charge.objects.active().filter(pk=charge.pk).exists()  # reversed once


def _draft_seen(client: Client, community: Community) -> str:
    page = client.get(f"/c/{community.slug}/contract/edit/").content.decode()
    found = re.search(r'name="draft" value="([0-9a-f]+)"', page)
    assert found, "the publish step carries what was reviewed"
    return found.group(1)


def test_publishing_a_draft_that_changed_since_it_was_reviewed_is_refused_with_a_reload(
    community: Community, moderator: User
) -> None:
    client = client_for(moderator)
    client.post(f"/c/{community.slug}/contract/clauses/new/", CLAUSE_FORM)
    seen = _draft_seen(client, community)
    # Another moderator adds a clause while the first is reading the publish step.
    rowan = _second_moderator(community)
    assert rowan.user is not None
    client_for(rowan.user).post(
        f"/c/{community.slug}/contract/clauses/new/",
        {**CLAUSE_FORM, "title": "No personal remarks", "bad_categories": "inappropriate"},
    )
    url = f"/c/{community.slug}/contract/publish/"
    response = client.post(url, {"summary": "Our first contract", "draft": seen}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The draft changed after you reviewed it" in body and "Reload the page" in body
    assert "No personal remarks" in body  # the change is shown now
    assert not ContractVersion.objects.exists()
    # What was typed is kept, with the draft as it is now: publishing again works.
    now = re.search(r'name="draft" value="([0-9a-f]+)"', body)
    assert now and now.group(1) != seen and "Our first contract" in body
    published = client.post(url, {"summary": "Our first contract", "draft": now.group(1)}, **HTMX)
    assert published["HX-Redirect"] == f"/c/{community.slug}/contract/"
    assert ContractVersion.objects.get().number == 1
    # A second publish from the same stale page: someone already published it.
    again = client.post(url, {"summary": "Our first contract", "draft": now.group(1)}, **HTMX)
    assert "The draft changed after you reviewed it" in again.content.decode()
    assert ContractVersion.objects.count() == 1
    # Without JavaScript the same refusal is a page of its own.
    plain = client.post(url, {"summary": "Again", "draft": now.group(1)})
    assert plain.status_code == 409 and "Reload the page" in plain.content.decode()
