"""The periodic recalculation fans out per community, and two workers share it (issue 16).

The first community's recalculation is held on its lock (the test holds the advisory lock the
recalculation takes), so one worker is stuck on it; the second community's budgets must still
be written, by the other worker. With a single worker the second community would wait behind
the first: the sweep enqueues the oldest community first and the queue is first in, first out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from budgets.models import MemberBudget
from budgets.recalculation import ADVISORY_NAMESPACE
from budgets.tasks import regenerate_all
from community.models import Community, Membership
from config import queues
from config.celery import app as celery_app
from tests.conftest import WorkerProcess, database_url, start_worker, wait_for

pytestmark = [pytest.mark.worker]

MEMBERS = 40


def _members(community: Community) -> None:
    Membership.objects.bulk_create(
        Membership(community=community, display_name=f"{community.slug} member {n}")
        for n in range(MEMBERS)
    )


@pytest.fixture
def two_workers(transactional_db: None, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    workers = [
        start_worker(tmp_path, concurrency=1, queues=(queues.RECALC,)),
        start_worker(tmp_path, concurrency=1, queues=(queues.RECALC,)),
    ]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.kill()
        celery_app.control.purge()


def _waiting_for_lock(lock: psycopg.Connection, community: Community) -> bool:
    row = lock.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid = %s AND objid = %s",
        [ADVISORY_NAMESPACE, community.pk],
    ).fetchone()
    return bool(row and row[0])


def test_two_workers_share_the_sweep_and_a_stuck_community_holds_back_no_other(
    two_workers: list[WorkerProcess],
) -> None:
    stuck = Community.objects.create(slug="stuck", name="Stuck")
    free = Community.objects.create(slug="free", name="Free")
    _members(stuck)
    _members(free)
    with psycopg.connect(database_url(), autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, stuck.pk])
        regenerate_all.delay()  # what the scheduler sends
        wait_for(
            lambda: MemberBudget.objects.filter(community=free).count() == MEMBERS,
            timeout=90,
            what="the free community's budgets, written by the second worker",
        )
        # The first community's recalculation is running meanwhile, waiting on its lock.
        wait_for(
            lambda: _waiting_for_lock(lock, stuck),
            timeout=30,
            what="a worker waiting on the stuck community's lock",
        )
        assert not MemberBudget.objects.filter(community=stuck).exists()
        lock.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, stuck.pk])
    wait_for(
        lambda: MemberBudget.objects.filter(community=stuck).count() == MEMBERS,
        timeout=60,
        what="the stuck community's budgets once its lock is free",
    )
    received = [worker.log().count("budgets.recalculate_periodic") > 0 for worker in two_workers]
    assert received == [True, True]  # each worker took one community's recalculation
