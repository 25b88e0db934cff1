"""axe-core on every main page, for each role, at 1280 px and at 390 px: no violation of WCAG 2.1
A/AA or of axe's best practices, and no id twice on a page. The pages are demo/tour.py's list
(the ones `make screenshots` photographs), on the demo community."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from demo.context import DEMO_PASSWORD
from demo.tour import MEMBER, MODERATOR, ROLES, USERNAMES, TourPage, main_pages
from tests.accessibility import axe_version, axe_violations, describe
from tests.conftest import browser_login
from tests.demo_snapshot import build_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
DUPLICATE_IDS = """() => {
  const seen = {};
  document.querySelectorAll('[id]').forEach(e => { seen[e.id] = (seen[e.id] || 0) + 1; });
  return Object.keys(seen).filter(id => seen[id] > 1);
}"""


def problems_on(page: Any, where: str) -> list[str]:
    found = []
    violations = axe_violations(page)
    if violations:
        found.append(describe(where, violations))
    duplicates = page.evaluate(DUPLICATE_IDS)
    if duplicates:
        found.append(f"{where}: ids used twice: {duplicates}")
    return found


def visit_all(page: Any, pages: list[TourPage]) -> list[str]:
    found = []
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for tour_page in pages:
            response = page.goto(tour_page.path)
            assert response is not None and response.status == 200, tour_page
            found += problems_on(page, f"{tour_page.slug} at {width_name} ({tour_page.path})")
        if width_name == "phone":
            # The folded menu, opened: its links are checked too.
            page.goto(pages[0].path)
            menu = page.locator("details.nav-menu")
            if menu.count():
                menu.locator("summary").click()
                found += problems_on(page, f"{pages[0].slug} with the phone menu open")
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_has_no_accessibility_violation(browser_page: Any, role: str) -> None:
    build_demo(log=lambda line: None)
    page = browser_page
    if role in (MEMBER, MODERATOR):
        browser_login(page, USERNAMES[role], DEMO_PASSWORD)
    pages = [p for p in main_pages() if p.role == role]
    assert len(pages) >= 5
    found = visit_all(page, pages)
    assert not found, f"axe-core {axe_version(page)} found:\n" + "\n".join(found)


def _open_folds(page: Any) -> None:
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")


def _after(page: Any, where: str, click: Any) -> list[str]:
    with page.expect_response(lambda r: r.request.method == "POST"):
        click()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    _open_folds(page)
    return problems_on(page, where)


def test_swapped_regions_keep_the_pages_accessible(browser_page: Any) -> None:
    """The war room with every fold open and after its actions (a ticked checklist, a running
    runbook, a refusal), an inline appeal form and a decided appeal: still no violation and no
    id twice."""
    build_demo(log=lambda line: None)
    page = browser_page
    pages = {p.name: p.path for p in main_pages() if p.role == MODERATOR}
    browser_login(page, USERNAMES[MODERATOR], DEMO_PASSWORD)
    found = []
    page.goto(pages["war-room"])
    _open_folds(page)
    found += problems_on(page, "war room, every fold open")
    page.get_by_label("Facilitator").select_option(label=USERNAMES[MODERATOR])
    found += _after(
        page, "war room, offered", page.get_by_role("button", name="Offer the role").click
    )
    tick = page.get_by_role("button", name=re.compile(r"^Mark done: ")).first
    found += _after(page, "war room, checklist ticked", tick.click)
    for what in ("cooldown started", "refused: one cooldown per space"):
        start = page.get_by_role("button", name="Start cooldown").click
        found += _after(page, f"war room, {what}", start)
    expect(page.get_by_test_id("error")).to_contain_text("already has an active cooldown")
    page.goto(pages["appeals"])
    card = page.get_by_role("article").first
    card.get_by_label("Charge stands: it still counts").check()
    card.get_by_label("Reason").fill("It was a personal remark.")
    found += _after(page, "appeals, decided", card.get_by_role("button", name="Decide").click)

    page.get_by_role("button", name="Log out").click()
    browser_login(page, USERNAMES[MEMBER], DEMO_PASSWORD)
    page.goto(next(p.path for p in main_pages() if p.role == MEMBER and p.name == "my-budget"))
    page.get_by_role("link", name="Appeal").first.click()
    page.get_by_role("button", name="Send appeal").wait_for()
    found += problems_on(page, "my budget, appeal form open")
    assert not found, f"axe-core {axe_version(page)} found:\n" + "\n".join(found)


def test_the_check_catches_a_nameless_icon_button_and_a_repeated_id(browser_page: Any) -> None:
    """The scan itself works: plant the classic mistakes on a clean page and it names them."""
    page = browser_page
    page.goto("/accounts/login/")
    assert problems_on(page, "log in") == []
    page.evaluate(
        """() => {
          const main = document.getElementById('main');
          main.insertAdjacentHTML('beforeend',
            '<button type="button"><svg aria-hidden="true" width="9" height="9"></svg></button>' +
            '<p id="main">again</p>');
        }"""
    )
    found = "\n".join(problems_on(page, "log in, planted"))
    assert "button-name" in found
    assert "ids used twice: ['main']" in found
