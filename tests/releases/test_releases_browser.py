"""Starting a trial in a real browser, and reading it on the contract page as a member."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from community.contract.evaluation import evaluate_community
from community.contract.releases.models import Canary
from community.contract.services import save_clause
from community.contract.slo import ClauseDefinition
from community.models import Clause
from demo import context as demo
from tests.accessibility import axe_violations, describe
from tests.conftest import browser_login
from tests.demo_snapshot import build_demo
from tests.releases.helpers import roll_back_demo_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def assert_accessible(page: Any, path: str) -> None:
    """Axe finds nothing on ``path`` at either width (the trial section after a trial started
    in the browser, as the member of a trial space reads it)."""
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(path)
        violations = axe_violations(page)
        assert violations == [], describe(f"{path} at {name}", violations)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_moderator_starts_a_trial_and_a_member_reads_it_as_a_trial(browser_page: Any) -> None:
    community = build_demo(log=lambda line: None)
    roll_back_demo_trial(community)
    clause = Clause.objects.live().filter(community=community).order_by("position").first()
    assert clause is not None and clause.live_definition is not None
    live = clause.published_definition()
    assert live is not None
    stricter = ClauseDefinition.from_dict({**live.as_dict(), "target": Decimal("0.99")})
    save_clause(community=community, clause=clause, definition=stricter)
    page = browser_page
    browser_login(page, demo.MODERATOR_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/contract/releases/")
    form = page.get_by_role("region", name="Try the draft in some spaces")
    form.get_by_label("What this version changes").fill("A stricter hostility target.")
    form.get_by_role("checkbox", name="Growing Tips").check()
    form.get_by_label("How many hours").fill("48")
    form.get_by_text("Start the trial", exact=True).first.click()
    form.get_by_role("button", name="Start the trial").click()
    page.wait_for_url("**/contract/releases/canaries/*/")
    canary = Canary.objects.running().get(community=community)
    assert page.get_by_role("heading", name=f"Trial of version {canary.number}").is_visible()
    evaluate_community(community=community)
    page.get_by_role("button", name="Log out").click()
    browser_login(page, demo.MEMBER_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/contract/")
    heading = page.get_by_role(
        "heading", name=f"Version {canary.number} is on trial in Growing Tips"
    )
    assert heading.is_visible()
    assert "Trial" in heading.inner_text()
    assert page.get_by_test_id("trial-status").get_by_text("Growing Tips").first.is_visible()
    assert_accessible(page, "/c/demo/contract/")
    page.goto("/c/demo/my-budget/")
    on_budget = page.get_by_role(
        "heading", name=f"Version {canary.number} is on trial in Growing Tips"
    )
    assert on_budget.is_visible()
    assert_accessible(page, "/c/demo/my-budget/")


def test_a_moderator_tries_new_costs_and_a_member_reads_them_on_their_budget(
    browser_page: Any,
) -> None:
    community = build_demo(log=lambda line: None)
    roll_back_demo_trial(community)
    page = browser_page
    browser_login(page, demo.MODERATOR_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/contract/releases/")
    form = page.get_by_role("region", name="Try new costs of the budget policy in some spaces")
    form.get_by_label("What the new costs change").fill("Upheld flags cost more.")
    form.get_by_role("checkbox", name="Growing Tips").check()
    form.get_by_label("Upheld flags, moderate").fill("5")
    form.get_by_text("Start the policy trial", exact=True).first.click()
    form.get_by_role("button", name="Start the policy trial").click()
    page.wait_for_url("**/contract/releases/canaries/*/")
    canary = Canary.objects.running().get(community=community)
    assert canary.policy_changes["costs"]["flag_upheld"]["moderate"] == "5"
    assert page.get_by_role(
        "heading", name=f"Trial of version {canary.number} of the budget policy"
    ).is_visible()
    page.get_by_role("button", name="Log out").click()
    browser_login(page, demo.MEMBER_USERNAME, demo.DEMO_PASSWORD)
    page.goto("/c/demo/my-budget/")
    heading = page.get_by_role(
        "heading",
        name=f"Version {canary.number} of the budget policy is on trial in Growing Tips",
    )
    assert heading.is_visible()
    assert "moderate 5 points" in page.get_by_test_id("trial-costs").inner_text()
    assert_accessible(page, "/c/demo/my-budget/")
    assert_accessible(page, "/c/demo/contract/")
