"""In a real browser, with a real worker: a moderator starts a replay from the clause page,
watches the htmx progress bar (polled every second) until the results replace it, reads them,
and dismisses the replay after its confirm step. The worker starts only once the bar is on
screen, so the page is seen waiting and then done."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from community.contract.replay.models import Replay, ReplayStatus
from community.models import Community
from config.celery import app as celery_app
from tests.conftest import PASSWORD, browser_login, start_worker
from tests.contract.helpers import posts_and_flags, published_clause

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_moderator_watches_a_replay_finish_reads_it_and_dismisses_it(
    browser_page: Any,
    community: Community,
    moderator: User,
    tmp_path: Path,
) -> None:
    clause = published_clause(community, at=timezone.now() - timedelta(days=3))
    posts_and_flags(community, posts=150, flags=45, at=timezone.now() - timedelta(hours=5))
    celery_app.conf.task_always_eager = False  # the task waits in Redis for the worker
    celery_app.control.purge()
    page = browser_page
    browser_login(page, moderator.username, PASSWORD)
    page.goto(f"/c/{community.slug}/contract/clauses/{clause.pk}/")
    page.get_by_role("button", name="Try this change on past events").click()
    page.wait_for_url("**/contract/replays/*/")

    # Queued: the bar waits, and htmx polls.
    bar = page.get_by_role("progressbar")
    expect(bar).to_be_visible()
    expect(page.locator("#replay-progress")).to_contain_text("Waiting to start")
    worker = start_worker(tmp_path)
    try:
        # The worker runs it; the next poll swaps the bar for the results.
        expect(bar).to_be_hidden(timeout=60_000)
        results = page.locator("#replay-progress")
        expect(results).to_contain_text("195 events in the period")
        expect(results).to_contain_text("would have fired")
        expect(results).to_contain_text("across the community")
        end = page.get_by_role("heading", name="The clause at the end of the period")
        expect(end).to_be_visible()
        expect(page.get_by_role("heading", name="What the live contract did")).to_be_visible()
        assert Replay.objects.get().status == ReplayStatus.DONE

        # Dismiss: the confirm step says what happens; confirmed, the replay leaves the list.
        page.get_by_role("link", name="Dismiss this replay…").click()
        confirm = page.get_by_role("heading", name="What happens when you dismiss it")
        expect(confirm).to_be_visible()
        assert Replay.objects.get().status == ReplayStatus.DONE
        page.get_by_role("button", name="Dismiss this replay").click()
        page.wait_for_url(f"**/c/{community.slug}/contract/replays/")
        expect(page.get_by_text("No replays are kept at the moment.")).to_be_visible()
        assert Replay.objects.get().status == ReplayStatus.DISMISSED
    finally:
        worker.process.terminate()
        worker.process.wait(timeout=15)
        celery_app.control.purge()
