"""A large community's full recalculation fans out, one task per chunk (``budgets.fan_out``):
the same budgets as the single task, each chunk once, the finishing step once, after all."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.utils import timezone

from budgets import fan_out, scheduling
from budgets.models import (
    FanOutChunk,
    FanOutRun,
    MemberBudget,
    Notice,
    RecalcFlag,
    RecalcRun,
    TierTransition,
)
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import SNAPSHOT_FIELDS, recalculate_community
from community.models import Community
from tests.budgets.helpers import event, posts, send

pytestmark = pytest.mark.django_db

MEMBERS = 23
CHUNK = 5  # 23 members: five chunks, the last one short


@pytest.fixture
def small_chunks(settings: Any) -> None:
    settings.BUDGETS_RECALC_CHUNK_SIZE = CHUNK
    settings.BUDGETS_RECALC_FAN_OUT_MEMBERS = 10


def _history(community: Community) -> None:
    """Members in every tier: n warnings for member n (mod 4), after a few posts."""
    for n in range(MEMBERS):
        send(community, *posts(3, member=str(n)))
        for _ in range(n % 4):
            send(community, event("moderator_warning", member=str(n), severity="moderate"))


# What a member's budget holds, as the recalculation writes it (its community aside).
SNAPSHOT = tuple(f for f in SNAPSHOT_FIELDS if f != "community")


def _snapshots(community: Community) -> dict[str, tuple[Any, ...]]:
    rows = MemberBudget.objects.filter(community=community).values_list(
        "membership__display_name", *SNAPSHOT
    )
    return {name: tuple(rest) for name, *rest in rows}


def _transitions(community: Community) -> list[tuple[Any, ...]]:
    return sorted(
        TierTransition.objects.filter(community=community).values_list(
            "membership__display_name", "sequence", "from_tier", "to_tier", "actions"
        )
    )


def test_a_fanned_out_run_equals_a_single_task_run(
    small_chunks: None, django_capture_on_commit_callbacks: Any
) -> None:
    single = Community.objects.create(slug="single", name="Single")
    fanned = Community.objects.create(slug="fanned", name="Fanned")
    # One frozen moment: both histories carry the same dates, and both runs compute as of it.
    with time_machine.travel(timezone.now(), tick=False):
        _history(single)
        _history(fanned)
        recalculate_community(community=single, kind=RecalcKind.FULL)
        with django_capture_on_commit_callbacks(execute=True):
            scheduling.schedule_recalculation(community=fanned, full=True)

    assert len(_snapshots(fanned)) == MEMBERS
    assert _snapshots(fanned) == _snapshots(single)
    assert _transitions(fanned) == _transitions(single)
    assert len(_transitions(fanned)) > 0
    assert (
        Notice.objects.filter(community=fanned).count()
        == Notice.objects.filter(community=single).count()
    )
    run = FanOutRun.objects.get(community=fanned)
    assert (run.chunks, run.chunks_done, run.members) == (5, 5, MEMBERS)
    assert run.finished_at is not None
    chunks = FanOutChunk.objects.filter(run=run).order_by("first_id")
    assert [c.members for c in chunks] == [5, 5, 5, 5, 3]  # every member in exactly one
    # What follows a full run happened once: its record, and the flag it answered cleared.
    full = RecalcRun.objects.filter(community=fanned, kind=RecalcKind.FULL)
    assert list(full.values_list("members", flat=True)) == [MEMBERS]
    assert RecalcFlag.objects.get(community=fanned).full_requested_at is None


def test_a_small_community_keeps_the_single_task(
    settings: Any, community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    settings.BUDGETS_RECALC_CHUNK_SIZE = CHUNK
    settings.BUDGETS_RECALC_FAN_OUT_MEMBERS = MEMBERS
    _history(community)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.schedule_recalculation(community=community, full=True)
    assert not FanOutRun.objects.exists()
    assert RecalcRun.objects.filter(kind=RecalcKind.FULL).count() == 1
    assert MemberBudget.objects.count() == MEMBERS


def test_a_chunk_run_twice_writes_the_same_rows_and_counts_once(
    small_chunks: None, community: Community
) -> None:
    _history(community)
    with time_machine.travel(timezone.now(), tick=False):
        run = fan_out.start_full_run(community=community)  # its tasks are not sent: no commit
        assert run is not None
        first = FanOutChunk.objects.filter(run=run).order_by("first_id").first()
        assert first is not None
        assert fan_out.run_chunk(chunk_id=first.pk, worker="one") is False
        rows = _snapshots(community)
        counts = (TierTransition.objects.count(), Notice.objects.count())
        assert fan_out.run_chunk(chunk_id=first.pk, worker="two") is False
    assert len(rows) == CHUNK
    assert _snapshots(community) == rows
    assert (TierTransition.objects.count(), Notice.objects.count()) == counts
    first.refresh_from_db()
    run.refresh_from_db()
    assert (first.worker, run.chunks_done, run.members) == ("one", 1, CHUNK)


def test_only_the_last_chunk_finishes_the_run_and_only_once(
    small_chunks: None, community: Community
) -> None:
    _history(community)
    since = timezone.now()
    RecalcFlag.objects.create(community=community, full_requested_at=since)
    run = fan_out.start_full_run(community=community, since=since)
    assert run is not None
    chunks = list(FanOutChunk.objects.filter(run=run).order_by("-first_id"))  # any order
    finished = [fan_out.run_chunk(chunk_id=c.pk) for c in chunks]
    assert finished == [False, False, False, False, True]
    assert fan_out.finish_run(run_id=run.pk) is False
    assert fan_out.run_chunk(chunk_id=chunks[0].pk) is False  # a late duplicate
    assert RecalcRun.objects.filter(kind=RecalcKind.FULL).count() == 1
    assert RecalcFlag.objects.get().full_requested_at is None
    assert MemberBudget.objects.count() == MEMBERS


def test_a_complete_run_nobody_finished_is_finished_by_the_next_request(
    small_chunks: None, community: Community
) -> None:
    """The state a worker killed between its chunk's commit and the finishing step leaves."""
    _history(community)
    run = fan_out.start_full_run(community=community)
    assert run is not None
    for chunk in FanOutChunk.objects.filter(run=run):
        fan_out.run_chunk(chunk_id=chunk.pk)
    FanOutRun.objects.filter(pk=run.pk).update(finished_at=None)
    RecalcRun.objects.all().delete()

    assert fan_out.start_full_run(community=community) == run
    assert RecalcRun.objects.filter(kind=RecalcKind.FULL).count() == 1
    assert FanOutRun.objects.get().finished_at is not None


def test_undone_chunks_are_sent_again_only_once_their_tasks_look_lost(
    small_chunks: None, community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    _history(community)
    with django_capture_on_commit_callbacks() as sent:
        run = fan_out.start_full_run(community=community)
    assert run is not None
    assert len(sent) == 5
    done = FanOutChunk.objects.filter(run=run).order_by("first_id").first()
    assert done is not None
    fan_out.run_chunk(chunk_id=done.pk)
    with django_capture_on_commit_callbacks() as again:
        assert fan_out.start_full_run(community=community) == run
    assert again == []  # a second request while the tasks are fresh sends nothing
    later = timezone.now() + fan_out.RESEND_AFTER
    with time_machine.travel(later), django_capture_on_commit_callbacks() as again:
        assert fan_out.start_full_run(community=community) == run
    assert len(again) == 4  # the four undone chunks, not the done one
    assert FanOutRun.objects.count() == 1
