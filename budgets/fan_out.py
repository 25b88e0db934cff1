"""A full recalculation of a large community, one Celery task per chunk of members (issue 16).

A community above ``BUDGETS_RECALC_FAN_OUT_MEMBERS`` members is not recalculated chunk after
chunk in one task: ``start_full_run`` records a ``FanOutRun`` and one ``FanOutChunk`` per id
range and sends one ``budgets.recalculate_chunk`` task per chunk on the ``recalc`` queue, so
every recalculating worker takes a share. Smaller communities keep the single task.

* **One chunk, one transaction**, as in the single task: the chunk's snapshots, its tier
  transitions with their actions, and its ``done_at`` commit together. A worker killed half-way
  leaves the chunk undone, its task is delivered again (late acknowledgement) or sent again
  (``start_full_run`` on a run older than ``RESEND_AFTER``), and a chunk found done is skipped:
  a duplicate task writes nothing and the ledger, which a recalculation never touches, stays
  append-only.
* **Lock order**: a chunk takes the community's advisory lock *shared* (chunks of one run hold
  disjoint members, so they run side by side), then its own chunk row, then its members'
  snapshot rows, then the run row last. Every other recalculation takes the same advisory lock
  exclusively and first, so it waits for the chunks in flight, and they for it: nobody holds a
  row while waiting for the advisory lock, and nobody waits for a run row while holding one.
  At most one unfinished run per community (a constraint), so no two runs compute one member.
* **Each chunk is computed as of the moment it runs**, never earlier: a chunk that runs late
  (sent again after a crash) cannot overwrite a budget that a run for a newer event has already
  written with an older one.
* **The finishing step happens once, after all chunks**: each chunk counts itself in
  ``chunks_done`` under the run row's lock; whoever sees the count reach ``chunks`` claims
  ``finished_at`` (a conditional update) and, in that transaction, writes the run record (the
  metrics read it) and clears the full-recalculation flag it answered; then the marked members
  are recalculated, as after a single-task run. A worker killed between the last chunk and the
  claim leaves a complete, unclaimed run that the next ``start_full_run`` finishes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from budgets.models import FanOutChunk, FanOutRun, ForgivenessPolicy, RecalcFlag
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import (
    RunResult,
    id_ranges,
    lock_community,
    recalculate_chunk,
    recalculate_community,
    record_run,
)
from community.jobs import enqueue_after_commit
from community.models import Community, Membership

logger = logging.getLogger(__name__)

CHUNK_TASK = "budgets.recalculate_chunk"
# A chunk's task runs within seconds; the undone chunks of a run whose tasks were sent longer
# ago than this (a broker outage, a worker killed) are sent again. A duplicate is harmless.
RESEND_AFTER = timedelta(minutes=2)


def fans_out(community: Community) -> bool:
    """Whether a full recalculation of ``community`` is split into one task per chunk."""
    members = Membership.objects.filter(community=community).count()
    return members > settings.BUDGETS_RECALC_FAN_OUT_MEMBERS


def start_full_run(
    *, community: Community, since: datetime | None = None, chunk_size: int | None = None
) -> FanOutRun | None:
    """Start a fanned-out full recalculation, or carry on the one in flight: send its undone
    chunks again if they were sent long enough ago, finish it if they are all done. ``since``
    is the full-recalculation request (``RecalcFlag.full_requested_at``) the run answers."""
    now = timezone.now()
    with transaction.atomic():
        run = FanOutRun.objects.filter(community=community, finished_at__isnull=True).first()
        if run is None:
            run = _create_run(community=community, since=since, at=now, chunk_size=chunk_size)
            if run is None:
                return None  # another one started meanwhile, and sends its own chunks
            due = list(run.chunk_rows.values_list("pk", flat=True))
        elif run.sent_at <= now - RESEND_AFTER:
            due = list(run.chunk_rows.filter(done_at__isnull=True).values_list("pk", flat=True))
            FanOutRun.objects.filter(pk=run.pk).update(sent_at=now)
        else:
            due = []
        for chunk_id in due:
            enqueue_after_commit(CHUNK_TASK, chunk_id)
    if run.chunks_done == run.chunks:
        finish_run(run_id=run.pk)
    return run


def _create_run(
    *, community: Community, since: datetime | None, at: datetime, chunk_size: int | None
) -> FanOutRun | None:
    ranges = id_ranges(community, chunk_size or settings.BUDGETS_RECALC_CHUNK_SIZE)
    try:
        with transaction.atomic():
            run = FanOutRun.objects.create(
                community=community,
                at=at,
                requested_since=since,
                chunks=len(ranges),
                sent_at=at,
            )
    except IntegrityError:
        return None
    FanOutChunk.objects.bulk_create(
        FanOutChunk(run=run, first_id=first, last_id=last) for first, last in ranges
    )
    logger.info(
        "budgets full recalculation fanned out",
        extra={"community": community.slug, "chunks": len(ranges)},
    )
    return run


def run_chunk(*, chunk_id: int, worker: str = "") -> bool:
    """Recalculate one chunk of a fanned-out run (once: a done chunk is skipped) and, if it is
    the last one, finish the run. Returns whether this call finished it."""
    chunk = FanOutChunk.objects.select_related("run__community").filter(pk=chunk_id).first()
    if chunk is None:
        return False  # its community was deleted meanwhile
    run = chunk.run
    community = run.community
    with transaction.atomic():
        lock_community(community, shared=True)
        chunk = FanOutChunk.objects.select_for_update().get(pk=chunk_id)
        if chunk.done_at is None:
            result = recalculate_chunk(
                community=community,
                policy=ForgivenessPolicy.objects.for_community(community),
                at=max(run.at, timezone.now()),
                id_range=(chunk.first_id, chunk.last_id),
            )
            chunk.done_at = timezone.now()
            chunk.worker = worker
            chunk.members = result.members
            chunk.written = result.written
            chunk.transitions = result.transitions
            chunk.save(update_fields=["done_at", "worker", "members", "written", "transitions"])
            FanOutRun.objects.filter(pk=run.pk).update(
                chunks_done=F("chunks_done") + 1,
                members=F("members") + result.members,
                written=F("written") + result.written,
                transitions=F("transitions") + result.transitions,
            )
        # Read under the run row's lock (taken by the update above): of two last chunks at
        # once, the second waits for the first to commit and is the one that sees them all.
        done = FanOutRun.objects.filter(pk=run.pk).values_list("chunks_done", flat=True).get()
    return done == run.chunks and finish_run(run_id=run.pk)


def finish_run(*, run_id: int) -> bool:
    """What follows a full recalculation, once per run and only when every chunk is done."""
    now = timezone.now()
    with transaction.atomic():
        claimed = FanOutRun.objects.filter(
            pk=run_id, finished_at__isnull=True, chunks_done=F("chunks")
        ).update(finished_at=now)
        if not claimed:
            return False
        run = FanOutRun.objects.select_related("community").get(pk=run_id)
        record_run(
            community=run.community,
            kind=RecalcKind.FULL,
            at=run.at,
            duration=(now - run.created_at).total_seconds(),
            result=RunResult(
                members=run.members,
                written=run.written,
                transitions=run.transitions,
                chunks=run.chunks,
            ),
        )
        if run.requested_since is not None:
            RecalcFlag.objects.filter(
                community=run.community, full_requested_at=run.requested_since
            ).update(full_requested_at=None)
    # Members marked before or during the run are done again (cheap, and never lost).
    recalculate_community(community=run.community, kind=RecalcKind.DIRTY)
    return True
