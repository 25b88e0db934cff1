"""The demo member sees their budget explained, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from budgets import services
from budgets.models import Appeal, AppealStatus, Charge
from community.models import Community, Role
from community.services import set_role
from demo import context as demo
from tests.budgets.helpers import event, send
from tests.conftest import PASSWORD, browser_login
from tests.demo_snapshot import build_demo

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


def test_deciding_the_second_of_two_appeals_leaves_the_first_untouched(
    browser_page: Any, community: Community, moderator: User
) -> None:
    appeals = []
    for number in (1, 2):
        send(
            community,
            event("flag_upheld", member=str(number), category="off_topic"),
        )
        flagged = Charge.objects.get(membership__identities__external_id=str(number))
        appeals.append(
            services.file_appeal(
                charge=flagged, membership=flagged.membership, statement=f"Appeal {number}"
            )
        )
    first, second = appeals
    page = browser_page
    browser_login(page, moderator.username, PASSWORD)
    page.goto("/c/garden/budgets/appeals/")
    assert page.get_by_test_id("waiting-count").inner_text() == "2"
    card = page.locator(f"#appeal-{second.pk}")
    # Clicking the label (as people do) ticks this appeal's radio, not the first appeal's.
    card.get_by_text("Charge reversed: it no longer counts").click()
    assert card.get_by_label("Charge reversed: it no longer counts").is_checked()
    other = page.locator(f"#appeal-{first.pk}")
    assert not other.get_by_label("Charge reversed: it no longer counts").is_checked()
    assert not other.get_by_label("Charge stands: it still counts").is_checked()
    card.get_by_label("Reason").fill("Right: the thread had moved on.")
    card.get_by_role("button", name="Decide").click()
    card.get_by_test_id("decision").wait_for()
    assert "Charge reversed" in card.get_by_test_id("decision").inner_text()
    page.get_by_test_id("waiting-count").filter(has_text="1").wait_for()
    assert page.locator("form").filter(has=page.get_by_role("button", name="Decide")).count() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (AppealStatus.PENDING, AppealStatus.UPHELD)
    assert other.get_by_role("button", name="Decide").is_visible()


def test_an_action_refused_meanwhile_shows_our_message_and_keeps_the_page(
    browser_page: Any, community: Community, moderator: User
) -> None:
    send(community, event("flag_upheld", member="1", category="spam"))
    flagged = Charge.objects.get()
    appeal = services.file_appeal(
        charge=flagged, membership=flagged.membership, statement="Not spam."
    )
    page = browser_page
    browser_login(page, moderator.username, PASSWORD)
    page.goto("/c/garden/budgets/appeals/")
    # Another admin steps this moderator down while the page is open.
    set_role(community=community, user=moderator, role=Role.MEMBER)
    card = page.locator(f"#appeal-{appeal.pk}")
    card.get_by_text("Charge stands: it still counts").click()
    card.get_by_label("Reason").fill("It was spam.")
    card.get_by_role("button", name="Decide").click()
    error = page.locator("#page-error")
    error.get_by_text("Only this community's moderators can do that.").wait_for()
    assert card.get_by_role("button", name="Decide").is_visible()
    assert error.get_by_role("link", name="Reload the page").is_visible()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING
