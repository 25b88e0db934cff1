"""The boards' Refresh and "Compute the figures again" in a real browser: each swaps the
board's body in place, and clicking twice leaves one body and one form."""

from __future__ import annotations

from typing import Any

import pytest

from demo import context as demo
from demo.build import build as build_demo
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_refresh_and_compute_again_swap_the_board_in_place(browser_page: Any) -> None:
    build_demo(log=lambda line: None)
    page = browser_page
    browser_login(page, demo.MODERATOR_USERNAME, demo.DEMO_PASSWORD)
    for path, body in (("flow/", "#flow-board"), ("fairness/", "#fairness-board")):
        page.goto(f"/c/demo/boards/{path}")
        for _ in range(2):
            with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
                page.get_by_role("link", name="Refresh").click()
            assert page.locator(body).count() == 1
        assert page.url.endswith(f"/c/demo/boards/{path}")  # swapped, not navigated
    for _ in range(2):
        with page.expect_response(lambda r: r.request.method == "POST"):
            page.get_by_role("button", name="Compute the figures again").click()
        assert page.locator("#fairness-board").count() == 1
        assert page.get_by_role("button", name="Compute the figures again").count() == 1
    assert page.get_by_text("The figures are being counted again").is_visible()
    assert page.get_by_text("Figures as of").count() == 1
