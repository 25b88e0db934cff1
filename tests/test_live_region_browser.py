"""What an htmx action did is said through the page's one live region (#announcer in base.html,
filled by static/js/announce.js): a done message, a refusal and a form's errors are announced,
the same words twice are announced twice, the war room's poller stays quiet, and a filter
that asks to be heard says how many it shows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from community.models import Community, Space
from demo.context import DEMO_PASSWORD, MODERATOR_USERNAME
from incidents import services
from tests.conftest import PASSWORD, browser_login
from tests.demo_snapshot import build_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every text the live region holds, in order, as a screen reader would hear it.
RECORD = """() => {
  window.__said = [];
  const region = document.getElementById('announcer');
  new MutationObserver(() => {
    const text = region.textContent.trim();
    if (text) { window.__said.push(text); }
  }).observe(region, {childList: true, characterData: true, subtree: true});
}"""


def said(page: Any) -> list[str]:
    return list(page.evaluate("() => window.__said"))


# The war room's refusal says what is wrong and how to see the incident as it is now.
REFUSAL = "Write something in the note. Reload the incident to see it as it is now."


def test_war_room_actions_are_announced_and_the_poller_is_quiet(
    browser_page: Any, community: Community, moderator: User
) -> None:
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    incident = services.declare_incident(
        community=community,
        title="Proposals: heated",
        severity="SEV3",
        spaces=[space],
        actor=services.Actor.person(moderator),
    )
    page = browser_page
    browser_login(page, moderator.username, PASSWORD)
    page.goto(f"/c/garden/incidents/{incident.pk}/")
    region = page.get_by_role("status").and_(page.get_by_test_id("announcer"))
    expect(region).to_have_attribute("aria-live", "polite")
    expect(region).to_be_empty()
    page.evaluate(RECORD)

    # The poller swaps every region every few seconds and says nothing.
    with page.expect_response(lambda r: r.request.method == "GET" and "/incidents/" in r.url):
        pass
    page.wait_for_timeout(300)
    assert said(page) == []

    update = page.get_by_label(re.compile(r"^Update:?$"))
    update.fill("Spoke with both parties.")
    page.get_by_role("button", name="Post update").click()
    expect(region).to_have_text("Update posted.")
    expect(page.get_by_test_id("timeline")).to_contain_text("Spoke with both parties.")

    # A refusal is said too, and the same refusal twice is said twice.
    for _ in range(2):
        update.fill("   ")
        with page.expect_response(lambda r: r.request.method == "POST"):
            page.get_by_role("button", name="Post update").click()
        expect(region).to_have_text(REFUSAL)
        page.wait_for_timeout(300)
    assert said(page) == [
        "Update posted.",
        REFUSAL,
        REFUSAL,
    ]
    # No id twice after the swaps.
    ids = page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_a_refused_form_says_its_errors_and_a_created_key_says_so(
    browser_page: Any, community: Community, moderator: User
) -> None:
    page = browser_page
    browser_login(page, moderator.username, PASSWORD)
    page.goto("/c/garden/settings/")
    region = page.get_by_test_id("announcer")
    form = page.locator("form").filter(has=page.get_by_role("button", name="Create key"))
    form.get_by_label("Name").fill("Discourse bot")
    for box in form.get_by_role("checkbox").all():
        box.uncheck()
    form.get_by_role("button", name="Create key").click()
    expect(region).to_have_text("Choose at least one for “Scopes”.")
    form = page.locator("form").filter(has=page.get_by_role("button", name="Create key"))
    form.get_by_role("checkbox").first.check()
    form.get_by_role("button", name="Create key").click()
    expect(page.get_by_test_id("new-key")).to_be_visible()
    expect(region).to_have_text("Copy this key now. It will not be shown again.")


def test_filtering_the_members_says_how_many_are_shown(browser_page: Any) -> None:
    """A filter is a GET, but one that asks to be heard: the new count is announced."""
    build_demo(log=lambda line: None)
    page = browser_page
    browser_login(page, MODERATOR_USERNAME, DEMO_PASSWORD)
    page.goto("/c/demo/budgets/")
    region = page.get_by_test_id("announcer")
    count = page.locator("#budget-table > p").first
    everyone = count.inner_text()
    with page.expect_response(lambda r: "tier=critical" in r.url):
        page.get_by_label("Tier").select_option(label="Critical")
    expect(count).not_to_have_text(everyone)
    expect(region).to_have_text(count.inner_text())
    expect(region).to_contain_text("member")
