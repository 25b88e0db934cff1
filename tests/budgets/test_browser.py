"""The demo member sees their budget explained, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from budgets.models import Appeal
from demo import context as demo
from demo.build import build as build_demo
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_demo_member_sees_their_budget_explained_and_appeals_in_place(
    browser_page: Any,
) -> None:
    build_demo(log=lambda line: None)
    page = browser_page
    browser_login(page, demo.MEMBER_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/")
    page.get_by_role("link", name="My budget").click()
    page.wait_for_url("**/c/demo/my-budget/")
    assert page.get_by_role("heading", name="My forgiveness budget").is_visible()
    figure = page.get_by_test_id("budget-figure")
    assert "points left" in figure.inner_text()
    assert "critical" in figure.inner_text() or "warning" in figure.inner_text()
    assert "How this is worked out" in figure.inner_text()
    assert page.get_by_test_id("budget-chart").is_visible()
    assert page.get_by_text("A sharp reply to a newcomer in Growing Tips").is_visible()
    assert page.get_by_text("Appeal: waiting for a moderator").is_visible()
    # Appeal the sharp reply without leaving the page (htmx swaps the row).
    row = page.locator("tr", has_text="A sharp reply to a newcomer")
    row.get_by_role("link", name="Appeal").click()
    row = page.locator("tr", has_text="A sharp reply to a newcomer")
    row.get_by_label("Why is this charge wrong?").fill("I meant it kindly; I have apologised.")
    row.get_by_role("button", name="Send appeal").click()
    page.locator("tr", has_text="A sharp reply to a newcomer").get_by_text(
        "Appeal: waiting for a moderator"
    ).wait_for()
    assert page.url.endswith("/c/demo/my-budget/")
    assert Appeal.objects.filter(statement__startswith="I meant it kindly").exists()
