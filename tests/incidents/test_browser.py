"""The "Done when" path in a real browser: declare from the war room, a facilitator accepts,
the cool-down runbook runs, the space shows its cooldown, the timeline shows every step, and
the incident resolves with its metrics."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from community.models import Community, Role
from community.services import set_role
from demo import context as demo
from incidents.models import Cooldown, Incident
from tests.conftest import PASSWORD, browser_login, check_in_now, make_user
from tests.demo_snapshot import build_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_moderator_runs_an_incident_end_to_end(browser_page: Any, live_server: Any) -> None:
    build_demo(log=lambda line: None)
    community = Community.objects.get(slug="demo")
    fran = make_user("fran_facilitator")
    set_role(community=community, user=fran, role=Role.MODERATOR)

    page = browser_page
    browser_login(page, demo.MODERATOR_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/")
    page.get_by_role("link", name="Incidents").click()
    page.get_by_label("Title").fill("Growing Tips: the peat debate got heated")
    page.get_by_label("Severity").select_option("SEV3")
    page.get_by_label("Spaces").select_option(label="Growing Tips")
    page.get_by_role("button", name="Declare", exact=True).click()
    expect(page.get_by_test_id("status")).to_have_text("Declared")
    incident = Incident.objects.get(title__startswith="Growing Tips")

    # Offer the facilitator role; it takes effect only when Fran accepts in her own browser.
    page.get_by_label("Facilitator").select_option(label="fran_facilitator")
    page.get_by_role("button", name="Offer the role").click()
    expect(page.get_by_test_id("offer")).to_contain_text("Waiting for fran_facilitator")
    fran_context = page.context.browser.new_context(base_url=live_server.url)
    fran_page = fran_context.new_page()
    browser_login(fran_page, "fran_facilitator", PASSWORD)
    fran_page.goto(f"/c/demo/incidents/{incident.pk}/")
    fran_page.get_by_role("button", name="Accept facilitator role").click()
    expect(fran_page.get_by_test_id("roles")).to_contain_text("fran_facilitator")
    fran_context.close()
    # The moderator's page picks the change up by polling.
    expect(page.get_by_test_id("roles")).to_contain_text("Facilitator: fran_facilitator")

    page.get_by_role("button", name="Run Runbook A: Cool Down").click()
    expect(page.get_by_test_id("status")).to_have_text("Mitigating")
    expect(page.get_by_test_id("cooldowns")).to_contain_text("active")
    steps = page.get_by_test_id("steps")
    expect(steps).to_contain_text("Post a calm notice")
    cooldown = Cooldown.objects.active().get(incident=incident)
    assert cooldown.space.name == "Growing Tips"
    status_page = page.context.new_page()
    status_page.goto("/c/demo/status/")
    expect(status_page.get_by_test_id("cooldown").filter(has_text="Growing Tips")).to_be_visible()
    status_page.close()

    # The automated steps finish on the worker; the room shows step 4 once they have (a click on
    # a page the worker has since changed is refused as stale, and the test would wait forever).
    expect(page.get_by_test_id("next-step")).to_contain_text("4. ")
    page.get_by_role("button", name="Mark done", exact=True).click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Step 4 done")
    # "Check in again in an hour" waits for its hour; the facilitator checks in now instead.
    expect(page.get_by_test_id("next-step")).to_contain_text("Check in again in an hour")
    check_in_now(page)
    expect(page.get_by_test_id("timeline")).to_contain_text("Step 5 done")
    # Resolving is a confirm step that says what happens and asks for a public summary.
    page.get_by_role("link", name="Resolve…").click()
    expect(page.get_by_role("heading", name="What happens when you resolve it")).to_be_visible()
    page.get_by_label("Summary").fill("The thread settled after the slow mode; thanks all.")
    page.get_by_role("button", name="Resolve the incident").click()
    expect(page.get_by_test_id("status")).to_have_text("Resolved")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Summary: The thread settled after the slow mode")
    for text in (
        "Declared SEV3 in Growing Tips",
        "Offered the facilitator role to fran_facilitator",
        "fran_facilitator is the facilitator",
        "Started “Runbook A: Cool Down”",
        "Cooldown started on Growing Tips",
        "Status declared → mitigating",
        "Step 1 done",
        "Step 2 done",
        "Step 3",
        "Step 4 done",
        "Step 5 done",
        "Status mitigating → resolved",
        "Time to facilitator",
    ):
        expect(timeline).to_contain_text(text)
    metrics = page.get_by_test_id("metrics")
    expect(metrics).not_to_contain_text("—")
    resolved = Incident.objects.get(pk=incident.pk)
    assert resolved.facilitator_at and resolved.first_cooldown_at and resolved.resolved_at
    assert resolved.cost_bad_events is not None
