"""The circle in a real browser, each person in their own session: the moderator invites, the
members accept, the repair exchange goes ask → answer → review → confirm, an agreement is made,
agreed to and kept, the moderator forgives and the responsible member's budget recovers; the
public summary, approved by the harmed member, is then what everyone else reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from budgets.models import Forgiveness, MemberBudget
from budgets.recalculation import recalculate_community
from community.models import Community, Membership, Role
from community.services import set_role
from incidents.postmortems import services as document
from incidents.postmortems.circle import services
from incidents.postmortems.models import Agreement, Visibility
from tests.circle.conftest import published
from tests.circle.helpers import circle, friction, joined
from tests.conftest import PASSWORD, browser_login, make_user
from tests.postmortems.helpers import resolved_incident, write

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY = "A plot trade turned sharp. Trades now say who keeps each plot; thank you all."


def _member(community: Community, name: str, role: str = Role.MEMBER) -> Membership:
    user = make_user(name)
    set_role(community=community, user=user, role=role)
    return Membership.objects.get(community=community, user=user)


def _session(page: Page, live_server: Any, username: str) -> Page:
    context = page.context.browser.new_context(base_url=live_server.url)  # type: ignore[union-attr]
    other = context.new_page()
    other.set_default_timeout(15_000)
    other.on("dialog", lambda dialog: dialog.accept())
    browser_login(other, username, PASSWORD)
    return other


def test_invite_accept_repair_agree_keep_forgive_and_publish_the_summary(
    browser_page: Page, live_server: Any
) -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    mod = _member(community, "maya_mod", Role.MODERATOR)
    milo = _member(community, "milo_member")
    rafa = _member(community, "rafa_responsible")
    _member(community, "nina_neighbour")
    moderator: User = mod.user  # type: ignore[assignment]
    space = community.spaces.create(name="Seed swap")
    incident = resolved_incident(
        community=community, space=space, moderator=moderator, parties=[milo, rafa]
    )
    for n in range(3):
        friction(membership=rafa, space=space, external_id=f"flag-{n}")
    recalculate_community(community=community)
    before = MemberBudget.objects.get(membership=rafa).remaining
    doc = document.start_postmortem(incident=incident, by=moderator)
    doc = document.set_visibility(
        postmortem=doc, visibility=Visibility.PUBLIC, expected_version=None, by=None
    )
    write(doc, "public_summary", SUMMARY)
    doc = published(doc, community, mod)
    circle = f"/c/garden/postmortems/{doc.pk}/circle/"

    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, "maya_mod", PASSWORD)
    page.goto(f"/c/garden/postmortems/{doc.pk}/")
    page.get_by_role("link", name="The restorative circle").click()
    for who, role in (("milo_member", "harmed"), ("rafa_responsible", "responsible")):
        page.get_by_label("Member to invite").select_option(label=who)
        page.get_by_label("Role").select_option(role)
        page.get_by_role("button", name="Invite").click()
        expect(page.get_by_test_id("participants")).to_contain_text(f"{who} — {role}")
    page.get_by_label("Member to invite").select_option(label="maya_mod")
    page.get_by_label("Role").select_option("facilitator")
    page.get_by_role("button", name="Invite").click()
    page.get_by_role("button", name="Accept and join the circle").click()
    expect(page.get_by_test_id("participants")).to_contain_text("maya_mod — facilitator")

    # Each member accepts in their own session; until then they see only the invitation.
    harmed = _session(page, live_server, "milo_member")
    harmed.goto(circle)
    expect(harmed.get_by_test_id("invitation")).to_contain_text("as harmed")
    expect(harmed.get_by_test_id("participants")).to_have_count(0)
    harmed.get_by_role("button", name="Accept and join the circle").click()
    expect(harmed.get_by_test_id("circle-message")).to_have_text(
        "Thank you for joining the circle."
    )
    responsible = _session(page, live_server, "rafa_responsible")
    responsible.goto(circle)
    responsible.get_by_role("button", name="Accept and join the circle").click()
    expect(responsible.get_by_test_id("participants")).to_contain_text("milo_member — harmed")

    # The repair exchange, one step per person.
    harmed.reload()
    harmed.get_by_label("What would help you").fill("Say in the thread my plot was not for sale.")
    harmed.get_by_role("button", name="Ask", exact=True).click()
    expect(harmed.get_by_test_id("exchanges")).to_contain_text("Waiting for rafa_responsible")
    responsible.reload()
    responsible.get_by_label("Your answer").fill("I will post that tonight, and say sorry.")
    responsible.get_by_role("button", name="Send my answer").click()
    # Saved before the harmed member looks: otherwise their reload can come first.
    expect(responsible.get_by_test_id("exchanges")).to_contain_text(
        "Waiting for milo_member to read the answer."
    )
    harmed.reload()
    harmed.get_by_role("button", name="This answer helps").click()
    expect(harmed.get_by_test_id("exchanges")).to_contain_text("waiting for the facilitator")
    page.reload()
    page.get_by_role("button", name="Confirm the exchange").click()
    expect(page.get_by_test_id("exchanges")).to_contain_text("Confirmed by maya_mod")

    # An agreement, agreed to by every party (the facilitator too), then kept.
    page.get_by_label("What is agreed").fill("Post a note in the Seed swap thread")
    page.get_by_label("Owner").select_option(label="rafa_responsible")
    page.get_by_label("Due date").fill((timezone.localdate() + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Add the agreement").click()
    expect(page.get_by_test_id("agreements")).to_contain_text("rafa_responsible agrees to")
    expect(page.get_by_test_id("forgiveness")).to_contain_text("still open")
    for person, name in ((responsible, "rafa_responsible"), (harmed, "milo_member")):
        person.reload()
        person.get_by_role("button", name="I agree").click()
        # Their own answer, so the next step waits for this one to be saved.
        expect(person.get_by_test_id("agreements")).to_contain_text(f"{name} (agreed)")
    page.reload()
    expect(page.get_by_test_id("agreements")).to_contain_text(
        "Not in effect yet: waiting for maya_mod to agree."
    )
    page.get_by_role("button", name="I agree").click()
    expect(page.get_by_test_id("agreements")).to_contain_text(
        "In effect: everyone in the circle agreed."
    )
    page.get_by_role("button", name="Mark kept").click()
    expect(page.get_by_test_id("agreements")).to_contain_text("Kept")

    # Every answer replaced the one region: no second copy of the circle or its forms.
    expect(page.locator("#circle")).to_have_count(1)
    expect(page.get_by_role("button", name="Invite")).to_have_count(1)
    # Forgiveness in one confirmed action; the budget recovers at once.
    page.get_by_role("button", name="Forgive rafa_responsible's 3 related charges").click()
    expect(page.get_by_test_id("circle-message")).to_contain_text("the budget has recovered")
    expect(page.get_by_test_id("forgiveness")).to_contain_text("forgiven on")
    assert Forgiveness.objects.filter(charge__membership=rafa).count() == 3
    assert MemberBudget.objects.get(membership=rafa).remaining > before

    # The public summary: the harmed member reads it first; approved, it is what others read.
    page.get_by_role("button", name="Ask the harmed members to read it").click()
    expect(page.get_by_test_id("summary-state")).to_contain_text("Waiting for the harmed members")
    harmed.reload()
    expect(harmed.get_by_test_id("public-summary")).to_contain_text(SUMMARY)
    harmed.get_by_role("button", name="Approve the summary").click()
    expect(harmed.get_by_test_id("summary-state")).to_have_text("Published")
    others = _session(page, live_server, "nina_neighbour")
    others.goto(f"/c/garden/postmortems/{doc.pk}/")
    expect(others.get_by_role("heading", name="What we learned")).to_be_visible()
    expect(others.locator("main")).to_contain_text(SUMMARY)
    expect(others.locator("main")).not_to_contain_text("Contributing factors")
    assert others.goto(circle).status == 404  # type: ignore[union-attr]


def test_the_facilitator_revises_a_refused_agreement_then_withdraws_it(
    browser_page: Page, live_server: Any
) -> None:
    """An agreement the harmed member did not agree to: the facilitator rewrites it (everyone
    asked again, the earlier wording kept), then withdraws the new one with a reason."""
    community = Community.objects.create(slug="garden", name="Garden Club")
    mod = _member(community, "maya_mod", Role.MODERATOR)
    milo = _member(community, "milo_member")
    rafa = _member(community, "rafa_responsible")
    ring = circle(community=community, moderator=mod.user, harmed=milo, responsible=rafa)  # type: ignore[arg-type]
    joined(ring.postmortem, mod, "facilitator", mod.user)  # type: ignore[arg-type]
    refused = services.add_agreement(
        postmortem=ring.postmortem,
        text="Reply to every post of theirs with an apology",
        owner=ring.responsible,
        due_on=timezone.localdate() + timedelta(days=3),
        by=None,
    )
    services.answer_consent(agreement=refused, participant=ring.harmed, give=False)
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, "maya_mod", PASSWORD)
    page.goto(f"/c/garden/postmortems/{ring.postmortem.pk}/circle/")
    agreements = page.get_by_test_id("agreements")
    expect(agreements).to_contain_text("Not in effect: milo_member did not agree.")
    page.get_by_test_id(f"agreement-{refused.pk}-change").locator("summary").click()
    page.get_by_label("The new wording").fill("Post one short note in the thread")
    page.get_by_role("button", name="Revise and ask everyone again").click()
    expect(page.get_by_test_id("circle-message")).to_contain_text("asked to agree")
    expect(page.get_by_test_id(f"agreement-{refused.pk}-status")).to_contain_text(
        "Withdrawn: Revised"
    )
    revision = Agreement.objects.get(revises=refused)
    expect(page.get_by_test_id(f"agreement-{revision.pk}-revises")).to_be_visible()
    expect(agreements).to_contain_text("Not in effect yet: waiting for")
    page.get_by_test_id(f"agreement-{revision.pk}-change").locator("summary").click()
    page.get_by_label("Why it is withdrawn").fill("We chose to leave it there.")
    page.get_by_role("button", name="Withdraw it").click()
    expect(page.get_by_test_id(f"agreement-{revision.pk}-status")).to_contain_text(
        "Withdrawn: We chose to leave it there."
    )
    expect(page.locator("#circle")).to_have_count(1)
    revision.refresh_from_db()
    assert revision.status == "withdrawn"
