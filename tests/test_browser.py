"""Pages in a real browser (headless Chromium through Playwright)."""

from __future__ import annotations

from typing import Any

import pytest

from demo import context as demo
from tests.conftest import browser_login
from tests.demo_snapshot import build_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_demo_moderator_logs_in_and_opens_the_community(browser_page: Any) -> None:
    build_demo(log=lambda line: None)
    page = browser_page
    browser_login(page, demo.MODERATOR_USERNAME, demo.DEMO_PASSWORD)
    assert page.get_by_text(f"Signed in as {demo.MODERATOR_USERNAME}").is_visible()
    page.get_by_role("link", name="Allotment Commons").first.click()
    page.wait_for_url("**/c/demo/")
    # A moderator's home leads with what needs them; the community's overview follows.
    assert page.get_by_role("heading", name="Needs you", level=1).is_visible()
    assert page.get_by_role("heading", name="Allotment Commons", level=2).is_visible()
    assert page.get_by_role("cell", name="Growing Tips category").is_visible()
    # Moderators see Settings; create an API key through htmx and see it once.
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Name").fill("Discourse bot")
    page.get_by_label("Send conduct events and identities").check()
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_test_id("new-key").inner_text()
    assert key.startswith("csre_")
    assert page.url.endswith("/c/demo/settings/")  # swapped in place by htmx, no navigation
