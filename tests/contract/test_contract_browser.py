"""The contract editor and the contract page in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from community.models import Clause
from demo import context as demo
from tests.conftest import browser_login
from tests.demo_snapshot import build_demo
from tests.releases.helpers import roll_back_demo_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_moderator_writes_a_clause_publishes_and_sees_its_live_sli(browser_page: Any) -> None:
    # Its contract has three versions (the third from a postmortem), and a trial running in
    # Proposals that would hold publication: a moderator ends it first.
    roll_back_demo_trial(build_demo(log=lambda line: None))
    page = browser_page
    browser_login(page, demo.MODERATOR_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/")
    page.get_by_role("link", name="Contract", exact=True).click()  # the editor sits inside
    page.get_by_role("link", name="Contract editor").click()
    page.wait_for_url("**/c/demo/contract/edit/")
    page.get_by_role("link", name="Add a clause").click()
    page.get_by_label("Title").fill("Be kind to newcomers")
    page.get_by_label("Wording").fill("Welcome first posts; everyone was new once.")
    page.get_by_label("Only these flag categories").fill("inappropriate")
    page.get_by_label("Target").fill("0.99")
    page.get_by_role("button", name="Save to draft").click()
    page.wait_for_url("**/c/demo/contract/edit/")
    assert page.get_by_role("cell", name="new, not yet published").is_visible()
    # Publishing is a confirm step: what changes, and that members will be asked to acknowledge.
    page.get_by_text("Review and publish version 4").click()
    assert (
        page.get_by_test_id("publish-changes")
        .get_by_text("Clause: Be kind to newcomers")
        .is_visible()
    )
    assert "asked to acknowledge it" in page.get_by_test_id("publish-consequence").inner_text()
    page.get_by_label("What changed").fill("A clause for newcomers.")
    page.get_by_role("button", name="Publish version 4").click()
    page.wait_for_url("**/c/demo/contract/")
    clause = Clause.objects.get(slug="be-kind-to-newcomers")
    assert page.get_by_role("heading", name="Be kind to newcomers").is_visible()
    sli = page.get_by_test_id(f"sli-{clause.pk}").inner_text()
    assert sli.endswith("%") and float(sli.rstrip(" %")) > 90
    assert page.get_by_text("Version 4, published").is_visible()
    # Every clause has its chart, drawn inline.
    assert page.locator("svg.spark").count() >= 4
    # A member reads the new version and acknowledges it in place (htmx).
    page.get_by_role("button", name="Log out").click()
    browser_login(page, demo.MEMBER_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/contract/")
    page.get_by_role("button", name="I have read version 4 and will keep it").click()
    expect(page.locator("#ack").get_by_text("You acknowledged version 4")).to_be_visible()
    assert page.url.endswith("/c/demo/contract/")
