"""axe-core on every main page, for each role, at 1280 px and at 390 px: no violation of WCAG 2.1
A/AA or of axe's best practices, and no id twice on a page. The pages are demo/tour.py's list
(the ones `make screenshots` photographs), on the demo community."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from demo.build import build as build_demo
from demo.context import DEMO_PASSWORD
from demo.tour import MEMBER, MODERATOR, ROLES, USERNAMES, TourPage, main_pages
from tests.accessibility import axe_version, axe_violations, describe
from tests.conftest import browser_login

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
