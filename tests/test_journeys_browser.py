"""The day's journeys on the demo community, clicked through in a real browser (no direct POST):

- a moderator triages Needs you, declares an incident from a member's report, becomes its
  facilitator, runs Runbook A and resolves it with a summary;
- a member reads the contract, acknowledges it, opens their budget and appeals a charge;
- a moderator decides that appeal (the charge is reversed) and the member sees the reversal.

Controls are found by role and label, as people find them. After each htmx action the page's
live region says what happened."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from budgets.models import Appeal, AppealStatus
from demo.context import DEMO_PASSWORD, MEMBER_USERNAME, MODERATOR_USERNAME
from incidents.models import Incident, IncidentReport, IncidentStatus
from tests.conftest import browser_login, check_in_now
from tests.demo_snapshot import build_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT = "The thread about the new sign-up rules is turning into a pile-on"
CHARGE = "A sharp reply to a newcomer in Growing Tips"


def announced(page: Any) -> Any:
    return page.get_by_test_id("announcer")


def test_a_moderator_declares_from_a_report_runs_runbook_a_and_resolves(
    browser_page: Any,
) -> None:
    build_demo(log=lambda line: None)
    page = browser_page
    browser_login(page, MODERATOR_USERNAME, DEMO_PASSWORD)
    page.get_by_role("link", name="Allotment Commons").first.click()

    # Needs you: the member's report waits with one thing to do next.
    expect(page.get_by_role("heading", name="Needs you", level=1)).to_be_visible()
    item = page.locator(".needs-item", has_text=REPORT)
    item.get_by_role("link", name="Declare or dismiss").click()
    page.wait_for_url("**/c/demo/incidents/**")
    card = page.get_by_role("listitem").filter(has_text=REPORT)
    with page.expect_navigation():
        card.get_by_role("button", name="Declare an incident").click()

    # The war room of the new incident, declared from the report.
    expect(page.get_by_test_id("status")).to_have_text("Declared")
    expect(page.get_by_test_id("reports")).to_contain_text(REPORT)
    incident = Incident.objects.get(reports__message__startswith=REPORT)
    assert incident.spaces.get().name == "Site Feedback"

    # Assign a facilitator: the moderator offers the role to themselves and so holds it.
    page.get_by_label("Facilitator").select_option(label=MODERATOR_USERNAME)
    page.get_by_role("button", name="Offer the role").click()
    expect(page.get_by_test_id("facilitator")).to_have_text(MODERATOR_USERNAME)
    expect(announced(page)).not_to_be_empty()

    # Runbook A: the cooldown starts on the reported space, then the steps by hand.
    page.get_by_role("button", name="Run Runbook A: Cool Down").click()
    expect(page.get_by_test_id("status")).to_have_text("Mitigating")
    expect(page.get_by_test_id("cooldowns")).to_contain_text("Site Feedback")
    expect(page.get_by_test_id("cooldowns")).to_contain_text("active")
    expect(announced(page)).to_contain_text("Runbook started")
    # Steps 1-3 run by themselves; step 4 is the facilitator's once the room shows it.
    expect(page.get_by_test_id("next-step")).to_contain_text("4. ")
    page.get_by_role("button", name="Mark done", exact=True).click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Step 4 done")
    check_in_now(page)
    expect(page.get_by_test_id("timeline")).to_contain_text("Step 5 done")

    # Resolve with a summary: a confirm step that says what will happen.
    page.get_by_role("link", name="Resolve…").click()
    expect(page.get_by_role("heading", name="What happens when you resolve it")).to_be_visible()
    page.get_by_label("Summary").fill("The sign-up thread calmed after the slow hour; thanks all.")
    with page.expect_navigation():
        page.get_by_role("button", name="Resolve the incident").click()
    expect(page.get_by_test_id("status")).to_have_text("Resolved")
    expect(page.get_by_test_id("timeline")).to_contain_text(
        "Summary: The sign-up thread calmed after the slow hour"
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.facilitator_at and incident.first_cooldown_at and incident.resolved_at

    # Needs you no longer lists the report, and the public status page tells the summary.
    page.get_by_role("link", name="Needs you").first.click()
    expect(page.locator(".needs-item", has_text=REPORT)).to_have_count(0)
    assert not IncidentReport.objects.filter(message__startswith=REPORT, incident=None).exists()
    page.get_by_role("link", name="Status", exact=True).first.click()
    expect(page.get_by_role("main")).to_contain_text("The sign-up thread calmed")


def test_a_member_acknowledges_and_appeals_and_sees_the_moderator_reverse_the_charge(
    browser_page: Any, live_server: Any
) -> None:
    build_demo(log=lambda line: None)
    page = browser_page
    browser_login(page, MEMBER_USERNAME, DEMO_PASSWORD)
    page.get_by_role("link", name="Allotment Commons").first.click()

    # The member's home asks them to read the newest version (3); they acknowledge it in place.
    page.get_by_role("link", name="Read and acknowledge").click()
    page.wait_for_url(re.compile(r"/c/demo/contract/(#.*)?$"))
    expect(page.get_by_role("heading", name="Our social contract", level=1)).to_be_visible()
    page.get_by_role("button", name="I have read version 3 and will keep it").click()
    expect(page.get_by_text("You acknowledged version 3")).to_be_visible()
    expect(announced(page)).to_contain_text("You acknowledged version 3")

    # Their budget, and an appeal of one charge without leaving the page.
    page.get_by_role("link", name="My budget").first.click()
    page.wait_for_url("**/c/demo/my-budget/")
    left_before = page.get_by_test_id("budget-figure").inner_text()
    row = page.get_by_role("row").filter(has_text=CHARGE)
    row.get_by_role("link", name="Appeal").click()
    row.get_by_label("Why is this charge wrong?").fill("I was welcoming them; it read badly.")
    row.get_by_role("button", name="Send appeal").click()
    expect(row.get_by_test_id("appeal-status")).to_have_text("Appeal: waiting for a moderator")
    expect(announced(page)).to_contain_text("Appeal: waiting for a moderator")
    appeal = Appeal.objects.get(statement__startswith="I was welcoming them")

    # A moderator, in their own browser, finds it on Needs you and reverses the charge.
    mod_context = page.context.browser.new_context(base_url=live_server.url)
    mod = mod_context.new_page()
    mod.set_default_timeout(15_000)
    browser_login(mod, MODERATOR_USERNAME, DEMO_PASSWORD)
    mod.get_by_role("link", name="Allotment Commons").first.click()
    mod.locator(".needs-item", has_text=CHARGE).get_by_role("link", name="Decide").click()
    mod.wait_for_url("**/c/demo/budgets/appeals/**")
    card = mod.get_by_role("article").filter(has_text=CHARGE)
    expect(card).to_contain_text("I was welcoming them; it read badly.")
    card.get_by_label("Charge reversed: it no longer counts").check()
    card.get_by_label("Reason").fill("Read in context it was a welcome. Sorry for the charge.")
    card.get_by_role("button", name="Decide").click()
    expect(card.get_by_test_id("decision")).to_contain_text("Charge reversed")
    expect(announced(mod)).to_contain_text("Charge reversed")
    mod_context.close()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD

    # Back in the member's browser: the charge no longer counts, and they are told why.
    page.reload()
    row = page.get_by_role("row").filter(has_text=CHARGE)
    expect(row.get_by_test_id("appeal-status")).to_have_text(re.compile("charge reversed", re.I))
    expect(row).to_contain_text("Read in context it was a welcome.")
    expect(row.locator("s")).to_have_count(1)  # its points are struck through
    assert page.get_by_test_id("budget-figure").inner_text() != left_before
    page.get_by_test_id("notifications-link").click()
    expect(page.get_by_role("main")).to_contain_text("reversed")
