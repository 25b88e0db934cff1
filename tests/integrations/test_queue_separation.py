"""Queue separation with real workers through Redis: a forum that stalls every call while
silences are queued for it does not hold back another member's recalculation, because one worker
consumes ``outbound`` and another ``recalc`` (config/queues.py, README "Deploy")."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from budgets import services
from budgets.models import MemberBudget
from community.models import Community
from config import queues
from config.celery import app as celery_app
from integrations.discourse.connection import connect_discourse
from integrations.models import ForumAction
from tests.budgets.helpers import event, membership, send
from tests.conftest import WorkerProcess, start_worker, wait_for
from tests.integrations.helpers import API_KEY, API_USER, SECRET, FakeDiscourse, _handler, serve

pytestmark = [pytest.mark.worker]

# How long the forum holds each silence at most (the client gives up after its 10 s timeout and
# counts a failed attempt; the held call then answers into the void). Long enough for a loaded
# machine to recalculate meanwhile; the test lets the forum go as soon as it has looked.
HOLD_SECONDS = 90.0


class StallingForum(FakeDiscourse):
    """The fake Discourse, except that each silence waits until ``release`` (or HOLD_SECONDS)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.held: list[str] = []
        self.answered: list[str] = []


@contextmanager
def stalling_forum() -> Iterator[StallingForum]:
    forum = StallingForum()
    base = _handler(forum)

    class Handler(base):  # type: ignore[misc,valid-type]
        def do_PUT(self) -> None:
            if self.path.endswith("/silence.json"):
                forum.held.append(self.path)
                forum.release.wait(HOLD_SECONDS)
            self._handle()
            forum.answered.append(self.path)

    with serve(Handler) as url:
        forum.url = url
        try:
            yield forum
        finally:
            forum.release.set()


@pytest.fixture
def split_workers(transactional_db: None, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    """One worker for ``outbound`` alone (one slot: a stalled call blocks it, the others queue
    behind it) and one for the rest, as README "Deploy" runs them."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    # Started side by side: on a loaded machine each takes up to a minute to be ready.
    with ThreadPoolExecutor(2) as pool:
        outbound = pool.submit(start_worker, tmp_path, concurrency=1, queues=(queues.OUTBOUND,))
        rest = pool.submit(
            start_worker, tmp_path, queues=(queues.INGEST, queues.RECALC, queues.DEFAULT)
        )
        workers = [outbound.result(), rest.result()]
    try:
        yield workers
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.terminate()
        for worker in workers:
            try:
                worker.process.wait(timeout=15)
            except Exception:
                worker.kill()
        celery_app.control.purge()


def _exhaust(community: Community, member: str) -> None:
    send(
        community,
        event("moderator_warning", member, severity="severe"),
        event("post_removed", member, severity="moderate"),
        source="discourse",
    )


def test_a_stalled_forum_does_not_hold_back_a_recalculation(
    split_workers: list[WorkerProcess],
) -> None:
    outbound, rest = split_workers
    community = Community.objects.create(slug="garden", name="Garden Club")
    services.update_policy(
        community=community,
        changes={"tier_actions": {"exhausted": ["member_cooldown"]}, "cooldown_hours": 12},
        by=None,
    )
    with stalling_forum() as forum:
        connect_discourse(
            community=community,
            base_url=forum.url,
            secret=SECRET,
            api_key=API_KEY,
            api_username=API_USER,
        )
        for member in ("501", "503", "504"):
            _exhaust(community, member)
        try:
            wait_for(lambda: forum.held, timeout=90, what="the first silence to reach the forum")
        except BaseException:
            print(rest.log(), outbound.log())
            raise
        # The outbound worker is now stuck in a call; the other silences wait behind it.
        send(community, event("flag_upheld", "502", severity="moderate"), source="discourse")
        budget = wait_for(
            lambda: MemberBudget.objects.filter(
                membership=membership(community, "502", source="discourse"), spent=3
            ).first(),
            timeout=HOLD_SECONDS - 10,
            what="member 502's budget to be recalculated while the forum holds the silence",
        )
        # The ordering this test is about: the budget moved while the forum had answered none of
        # the silences (the outbound worker spends its one slot in held calls throughout).
        assert forum.answered == []
        assert forum.held
        assert not ForumAction.objects.filter(action="silence", status="succeeded").exists()
        assert budget.remaining == 7
        forum.release.set()
    # Each worker ran only its own queues' tasks (the start banner lists every task: look for runs).
    assert "Task budgets.recalculate[" in rest.log()
    assert "Task budgets.recalculate[" not in outbound.log()
    assert "Task integrations.perform_forum_action[" in outbound.log()
    assert "Task integrations.perform_forum_action[" not in rest.log()
