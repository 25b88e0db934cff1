"""Navigation by role in a real browser: one row at 1280 px, a compact menu at 390 px, every
primary action within reach on a phone without sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest

from demo import context as demo
from tests.conftest import browser_login
from tests.demo_snapshot import build_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODERATOR_ITEMS = ["Needs you", "Incidents", "Members", "Contract", "Status", "Settings"]


def no_sideways_scroll(page: Any) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_the_moderator_nav_is_one_row_at_1280_and_needs_you_leads_home(browser_page: Any) -> None:
    build_demo(log=lambda line: None)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, demo.MODERATOR_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/")
    row = page.locator(".nav-row > li")
    texts = [t.split("(")[0].strip() for t in row.all_inner_texts()]
    assert [t.rstrip("0123456789 ").strip() for t in texts] == MODERATOR_ITEMS
    tops = {round(box["y"]) for box in (li.bounding_box() for li in row.all()) if box}
    assert len(tops) == 1  # one row
    assert not page.locator("details.nav-menu").is_visible()
    assert page.get_by_role("heading", name="Needs you").is_visible()
    items = page.locator(".needs-item")
    assert items.count() >= 1
    # Each waiting thing has its one primary action.
    for n in range(items.count()):
        assert items.nth(n).locator("a.button").count() == 1
    assert no_sideways_scroll(page)


def test_on_a_phone_the_menu_folds_and_every_action_is_within_reach(browser_page: Any) -> None:
    build_demo(log=lambda line: None)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, demo.MODERATOR_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/")
    assert not page.locator(".community-nav").is_visible()
    menu = page.locator("details.nav-menu")
    assert menu.is_visible()
    menu.locator("summary").click()
    menu.get_by_role("link", name="Members", exact=True).click()
    page.wait_for_url("**/c/demo/budgets/")
    assert no_sideways_scroll(page)
    for path in ["/c/demo/", "/c/demo/incidents/", "/c/demo/budgets/appeals/", "/c/demo/settings/"]:
        page.goto(path)
        assert no_sideways_scroll(page), path
    # The member's Appeal button is on screen at 390 px (tables become stacked rows).
    page.get_by_role("button", name="Log out").click()
    browser_login(page, demo.MEMBER_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/my-budget/")
    assert no_sideways_scroll(page)
    appeal = page.get_by_role("link", name="Appeal").first
    box = appeal.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    appeal.click()
    page.get_by_role("button", name="Send appeal").wait_for()
    # The member's own menu: four items, and the notification centre with its count.
    page.goto("/c/demo/")
    page.locator("details.nav-menu summary").click()
    links = page.locator("details.nav-menu .nav-column > li").all_inner_texts()
    assert [t.strip() for t in links] == ["Home", "Contract", "My budget", "Status"]
    page.get_by_test_id("notifications-link").click()
    page.wait_for_url("**/c/demo/notifications/")
    assert page.get_by_role("heading", name="Notifications", exact=True).is_visible()
    assert no_sideways_scroll(page)
