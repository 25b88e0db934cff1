"""The periodic recalculation fans out per community, and one large community's full
recalculation per chunk; two workers share both (issue 16).

The first community's recalculation is held on its lock (the test holds the advisory lock the
recalculation takes), so one worker is stuck on it; the second community's budgets must still
be written, by the other worker. With a single worker the second community would wait behind
the first: the sweep enqueues the oldest community first and the queue is first in, first out.

The chunks of one community's full recalculation are held the same way: each chunk takes the
community's lock shared, so with the test holding it exclusively each worker ends up waiting
with a chunk in hand; once it is released, both workers' chunks are written, and the budgets
equal a single-task run's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from budgets import fan_out
from budgets.models import (
    FanOutChunk,
    FanOutRun,
    ForgivenessPolicy,
    MemberBudget,
    RecalcRun,
    TierTransition,
)
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import ADVISORY_NAMESPACE, SNAPSHOT_FIELDS, recalculate_community
from budgets.tasks import regenerate_all
from community.models import Community, Membership
from config import queues
from config.celery import app as celery_app
from tests.budgets.helpers import event, posts, send
from tests.conftest import WorkerProcess, database_url, start_worker, wait_for

pytestmark = [pytest.mark.worker]

MEMBERS = 40


def _members(community: Community) -> None:
    Membership.objects.bulk_create(
        Membership(community=community, display_name=f"{community.slug} member {n}")
        for n in range(MEMBERS)
    )


def _two_workers(tmp_path: Path, env: dict[str, str]) -> Iterator[list[WorkerProcess]]:
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    workers = [
        start_worker(tmp_path, concurrency=1, queues=(queues.RECALC,), extra_env=env),
        start_worker(tmp_path, concurrency=1, queues=(queues.RECALC,), extra_env=env),
    ]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.kill()
        celery_app.control.purge()


@pytest.fixture
def two_workers(transactional_db: None, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    yield from _two_workers(tmp_path, {})


CHUNK = 5


@pytest.fixture
def big(transactional_db: None) -> Community:
    """A community above the fan-out size (for these workers), its budgets computed in this
    process (eager) before any worker starts."""
    community = Community.objects.create(slug="big", name="Big")
    for n in range(MEMBERS):
        send(community, *posts(2, member=str(n), days_ago=3))
        for _ in range(n % 3):
            send(community, event("moderator_warning", member=str(n), severity="moderate"))
    return community


@pytest.fixture
def chunk_workers(big: Community, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    env = {"BUDGETS_RECALC_CHUNK_SIZE": str(CHUNK), "BUDGETS_RECALC_FAN_OUT_MEMBERS": "10"}
    yield from _two_workers(tmp_path, env)


def _waiting_for_lock(lock: psycopg.Connection, community: Community, mode: str = "%") -> int:
    row = lock.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid = %s AND objid = %s AND mode LIKE %s",
        [ADVISORY_NAMESPACE, community.pk, mode],
    ).fetchone()
    return int(row[0]) if row else 0


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


def _budgets(community: Community) -> dict[str, tuple[object, ...]]:
    """Every member's budget but the moment it was computed at."""
    fields = [f for f in SNAPSHOT_FIELDS if f not in ("community", "computed_at")]
    rows = MemberBudget.objects.filter(community=community).values_list(
        "membership__display_name", *fields
    )
    return {name: tuple(rest) for name, *rest in rows}


def test_two_workers_share_the_chunks_of_one_communitys_full_recalculation(
    big: Community, chunk_workers: list[WorkerProcess]
) -> None:
    with psycopg.connect(database_url(), autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, big.pk])
        # A smaller floor moves members to other tiers. Changed on the row itself: the
        # service would also enqueue a recalculation, and this test sends only the chunks.
        ForgivenessPolicy.objects.for_community(big)
        ForgivenessPolicy.objects.filter(community=big).update(floor_points=4, version=2)
        run = fan_out.start_full_run(community=big, chunk_size=CHUNK)
        assert run is not None
        assert run.chunks == MEMBERS // CHUNK
        # Each worker holds one chunk, waiting on the community's lock (shared).
        wait_for(
            lambda: _waiting_for_lock(lock, big, "ShareLock") == 2,
            timeout=60,
            what="both workers waiting with a chunk each",
        )
        assert not FanOutChunk.objects.filter(run=run, done_at__isnull=False).exists()
        lock.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, big.pk])
    wait_for(
        lambda: FanOutRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
        timeout=90,
        what="every chunk done and the run finished",
    )
    workers = set(FanOutChunk.objects.filter(run=run).values_list("worker", flat=True))
    assert len(workers) == 2 and "" not in workers  # both workers wrote chunks of it
    assert [w.log().count("budgets.recalculate_chunk") > 0 for w in chunk_workers] == [True, True]
    assert RecalcRun.objects.filter(community=big, kind=RecalcKind.FULL).count() == 1
    fanned = _budgets(big)
    assert {row[8] for row in fanned.values()} == {2}  # every budget under the new policy
    transitions = TierTransition.objects.filter(community=big).count()
    recalculate_community(community=big, kind=RecalcKind.FULL)  # the single task, in here
    assert _budgets(big) == fanned
    assert TierTransition.objects.filter(community=big).count() == transitions
