"""The postmortem editor in a real browser: sections save as you type (htmx), two editors on
different sections both keep their words, and the same section edited by two people at once
is refused for the second with a prompt to reload; then the way to publishing — the blameless
check, a guardrail action item, review, publish — and closing the incident."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from community.models import Community, ContractVersion, Role, Space
from community.services import set_role
from incidents.postmortems import services
from incidents.postmortems.models import ActionItem, Postmortem
from tests.conftest import PASSWORD, browser_login, make_user
from tests.contract.helpers import published_clause
from tests.postmortems.helpers import resolved_incident, section

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _body(doc: Postmortem, key: str) -> str:
    return section(doc, key).body


def type_into(page: Any, key: str, words: str) -> None:
    """Type into a section and wait for the save its typing sends."""
    with page.expect_response(lambda r: f"/sections/{key}/" in r.url):
        page.locator(f"#section-{key}-body").fill(words)


def test_the_editor_saves_as_you_type_keeps_both_editors_and_refuses_a_stale_section(
    browser_page: Any, live_server: Any
) -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    maya, sam = make_user("maya_mod"), make_user("sam_mod")
    for user in (maya, sam):
        set_role(community=community, user=user, role=Role.MODERATOR)
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    incident = resolved_incident(community=community, space=space, moderator=maya)
    doc = services.start_postmortem(incident=incident, by=maya)
    url = f"/c/garden/postmortems/{doc.pk}/"

    first = browser_page
    browser_login(first, "maya_mod", PASSWORD)
    first.goto(url)
    # Typing saves: no button, the status line says so and the words are stored.
    type_into(first, "lessons", "Votes on shared plots need context first.")
    expect(first.locator("#section-lessons-status")).to_have_text("Saved.")
    assert _body(doc, "lessons") == "Votes on shared plots need context first."
    # Typing on after a save carries the new version: the second save is not refused.
    type_into(first, "lessons", "Votes on shared plots need context first. Always.")
    expect(first.locator("#section-lessons-status")).to_have_text("Saved.")
    assert _body(doc, "lessons").endswith("Always.")

    with first.context.browser.new_context(base_url=live_server.url) as other_context:
        second = other_context.new_page()
        second.set_default_timeout(15_000)
        browser_login(second, "sam_mod", PASSWORD)
        second.goto(url)
        # Two people on different sections: both keep their words.
        type_into(first, "went_well", "The alert and the report agreed.")
        type_into(second, "got_lucky", "Both members were online.")
        expect(first.locator("#section-went_well-status")).to_have_text("Saved.")
        expect(second.locator("#section-got_lucky-status")).to_have_text("Saved.")
        assert _body(doc, "went_well") == "The alert and the report agreed."
        assert _body(doc, "got_lucky") == "Both members were online."

        # The same section at once: the first save wins, the second is refused with a reload.
        type_into(first, "detection", "The fast page fired first.")
        expect(first.locator("#section-detection-status")).to_have_text("Saved.")
        type_into(second, "detection", "A member's report came first.")
        refusal = second.locator("#section-detection-status")
        expect(refusal).to_contain_text("Someone else changed “Detection” while you were typing.")
        expect(refusal.get_by_role("link", name="Reload the page")).to_be_visible()
        assert _body(doc, "detection") == "The fast page fired first."
        # Reloading shows the other person's words, and saving works again.
        refusal.get_by_role("link", name="Reload the page").click()
        expect(second.locator("#section-detection-body")).to_have_value(
            "The fast page fired first."
        )
        type_into(second, "detection", "The fast page fired first, then a report.")
        expect(second.locator("#section-detection-status")).to_have_text("Saved.")
        assert _body(doc, "detection") == "The fast page fired first, then a report."


def test_a_moderator_checks_the_wording_adds_a_guardrail_publishes_and_closes_the_incident(
    browser_page: Any,
) -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    maya = make_user("maya_mod")
    set_role(community=community, user=maya, role=Role.MODERATOR)
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    clause = published_clause(community)
    assert ContractVersion.objects.filter(contract__community=community, number=1).exists()
    incident = resolved_incident(community=community, space=space, moderator=maya)
    doc = services.start_postmortem(incident=incident, by=maya)
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, "maya_mod", PASSWORD)
    page.goto(f"/c/garden/postmortems/{doc.pk}/")

    type_into(page, "contributing_factors", "It was their fault; the rules said nothing.")
    finding = page.locator("#pm-findings li")
    expect(finding).to_contain_text("“their fault” — words of blame")
    expect(finding).to_contain_text("Try instead:")
    # Sending it for review waits for the passage; keeping it on purpose lets it through.
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_test_id("pm-error")).to_contain_text("pointed out 1 passage")
    page.get_by_label("Keep these words because").fill("A member's own words, quoted.")
    page.get_by_role("button", name="Keep them").click()
    expect(page.locator("#pm-findings")).to_contain_text("kept on purpose")

    # The guardrail: a clause item verified against the hostility clause, target in percent.
    form = page.locator(".item-form")
    form.get_by_label("Title").fill("Name quoting in the hostility clause")
    form.get_by_label("Type").select_option("clause")
    form.get_by_label("Owner").select_option(label="maya_mod")
    form.get_by_label("Due").fill("2030-01-15")
    form.get_by_label("How we will know it worked").fill("Hostility stays under 2 % for a week.")
    form.get_by_label("Contract version").select_option(index=1)
    form.get_by_label("Verify against the clause").select_option(label=clause.title)
    form.get_by_label("Target (%)").fill("98")
    form.get_by_label("Over (days)").fill("7")
    form.get_by_role("button", name="Add the action item").click()
    expect(page.locator("#pm-items .items")).to_contain_text("at least 98 % over 7 days")
    assert ActionItem.objects.filter(postmortem=doc).count() == 1

    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_test_id("pm-state")).to_have_text("In review")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("pm-state")).to_have_text("Published")
    assert Postmortem.objects.get(pk=doc.pk).state == "published"

    page.goto(incident.get_absolute_url())
    page.get_by_role("button", name="Mark closed").click()
    expect(page.get_by_test_id("status")).to_have_text("Closed")
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.closed_at is not None
