"""Starting a trial in a real browser, and reading it on the contract page as a member."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from community.contract.releases.models import Canary
from community.contract.services import save_clause
from community.contract.slo import ClauseDefinition
from community.models import Clause
from demo import context as demo
from demo.build import build as build_demo
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_moderator_starts_a_trial_and_a_member_reads_it_as_a_trial(browser_page: Any) -> None:
    community = build_demo(log=lambda line: None)
    clause = Clause.objects.live().filter(community=community).order_by("position").first()
    assert clause is not None and clause.live_definition is not None
    live = clause.published_definition()
    assert live is not None
    stricter = ClauseDefinition.from_dict({**live.as_dict(), "target": Decimal("0.99")})
    save_clause(community=community, clause=clause, definition=stricter)
    page = browser_page
    browser_login(page, demo.MODERATOR_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/contract/releases/")
    page.get_by_label("What this version changes").fill("A stricter hostility target.")
    page.get_by_role("checkbox", name="Growing Tips").check()
    page.get_by_label("How many hours").fill("48")
    page.get_by_text("Start the trial", exact=True).first.click()
    page.get_by_role("button", name="Start the trial").click()
    page.wait_for_url("**/contract/releases/canaries/*/")
    canary = Canary.objects.running().get(community=community)
    assert page.get_by_role("heading", name=f"Trial of version {canary.number}").is_visible()
    page.get_by_role("button", name="Log out").click()
    browser_login(page, demo.MEMBER_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/contract/")
    heading = page.get_by_role(
        "heading", name=f"Version {canary.number} is on trial in Growing Tips"
    )
    assert heading.is_visible()
    assert "Trial" in heading.inner_text()
