"""In a real browser, with a real worker, the whole path of a rule change: a moderator drafts a
stricter clause, replays it over past events (the progress bar, then the results), follows the
replay's link to "Try the draft in some spaces", starts a trial in one space, and sees it
running on Releases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from community.contract.releases.models import Canary
from community.contract.replay.models import Replay, ReplayStatus
from community.models import Community
from config.celery import app as celery_app
from tests.conftest import PASSWORD, browser_login, start_worker
from tests.contract.helpers import posts_and_flags, published_clause

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_moderator_drafts_replays_and_tries_a_stricter_clause_in_one_space(
    browser_page: Any,
    community: Community,
    moderator: User,
    tmp_path: Path,
) -> None:
    clause = published_clause(community, at=timezone.now() - timedelta(days=3))
    five_hours_ago = timezone.now() - timedelta(hours=5)
    posts_and_flags(community, posts=100, flags=2, at=five_hours_ago, space="2", prefix="a")
    posts_and_flags(community, posts=100, flags=2, at=five_hours_ago, space="3", prefix="b")
    celery_app.conf.task_always_eager = False  # the replay waits in Redis for the worker
    celery_app.control.purge()
    page = browser_page
    browser_login(page, moderator.username, PASSWORD)

    # Draft: the target goes from 98 % to 99 %, saved to the draft only.
    page.goto(f"/c/{community.slug}/contract/clauses/{clause.pk}/")
    page.get_by_label("Target (%)").fill("99")
    page.get_by_role("button", name="Save to draft").click()
    page.wait_for_url(f"**/c/{community.slug}/contract/edit/")
    clause.refresh_from_db()
    assert clause.draft_definition().target == Decimal("0.99")
    assert clause.published_definition().target == Decimal("0.98")  # type: ignore[union-attr]

    # Replay: the bar waits for the worker, then the results replace it.
    page.goto(f"/c/{community.slug}/contract/clauses/{clause.pk}/")
    page.get_by_role("button", name="Try this change on past events").click()
    page.wait_for_url("**/contract/replays/*/")
    bar = page.get_by_role("progressbar")
    expect(bar).to_be_visible()
    worker = start_worker(tmp_path)
    try:
        expect(bar).to_be_hidden(timeout=60_000)
        results = page.locator("#replay-progress")
        expect(results).to_contain_text("204 events in the period")
        expect(page.get_by_role("heading", name="What the live contract did")).to_be_visible()
        replay = Replay.objects.get()
        assert replay.status == ReplayStatus.DONE
        assert replay.definition["target"] == "0.99"
    finally:
        worker.process.terminate()
        worker.process.wait(timeout=15)
        celery_app.control.purge()

    # From the replay to the trial form, and a trial in one space.
    results.get_by_role("link", name="Try the draft in some spaces").click()
    page.wait_for_url(f"**/c/{community.slug}/contract/releases/#start-h")
    form = page.get_by_role("region", name="Try the draft in some spaces")
    form.get_by_label("What this version changes").fill("A stricter hostility target: 99 %.")
    form.get_by_role("checkbox", name="Space 2").check()
    form.get_by_label("How many hours").fill("24")
    form.get_by_text("Start the trial", exact=True).first.click()
    form.get_by_role("button", name="Start the trial").click()
    page.wait_for_url("**/contract/releases/canaries/*/")
    canary = Canary.objects.running().get(community=community)
    assert [s.name for s in canary.spaces.all()] == ["Space 2"]
    assert canary.clauses[0]["target"] == "0.99"
    expect(page.get_by_role("heading", name=f"Trial of version {canary.number}")).to_be_visible()

    # Releases lists it as running, in that space.
    page.goto(f"/c/{community.slug}/contract/releases/")
    row = page.get_by_role("row").filter(has_text=f"Version {canary.number}")
    expect(row).to_contain_text("Space 2")
    expect(row).to_contain_text("On trial")
