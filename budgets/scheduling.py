"""When budgets are recalculated: coalesced requests (at most one pending task per community),
the task's work, the periodic regeneration and the sweep that re-sends lost requests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from budgets import fan_out
from budgets.models import DirtyMember, RecalcFlag
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import RunResult, recalculate_community
from community.jobs import enqueue_after_commit
from community.models import Community

# A queued recalculation runs within seconds; one still pending after this was lost (a broker
# outage, a killed worker) and is sent again by the minutely sweep. A duplicate is harmless.
STALE_PENDING = timedelta(minutes=2)


def mark_dirty(*, community: Community, membership_ids: Iterable[int]) -> None:
    """Mark members for recalculation and schedule one (coalesced) after commit."""
    ids = sorted(set(membership_ids))
    if not ids:
        return
    now = timezone.now()
    # DO UPDATE (not DO NOTHING): it waits for a recalculation holding the row, so a change
    # committed during that recalculation re-marks the member instead of being lost.
    DirtyMember.objects.bulk_create(
        [DirtyMember(membership_id=pk, community=community, marked_at=now) for pk in ids],
        update_conflicts=True,
        unique_fields=["membership"],
        update_fields=["marked_at"],
    )
    transaction.on_commit(lambda: request_recalculation(community_id=community.pk))


def schedule_recalculation(*, community: Community, full: bool = False) -> None:
    """Ask for a recalculation of the whole community (``full``) after commit."""
    if full:
        RecalcFlag.objects.get_or_create(community=community)
        RecalcFlag.objects.filter(community=community).update(full_requested_at=timezone.now())
    transaction.on_commit(lambda: request_recalculation(community_id=community.pk))


def request_recalculation(*, community_id: int) -> bool:
    """Enqueue the community's recalculation unless one is already pending. Returns whether
    this call enqueued it. At most one pending task per community: a burst of events makes a
    handful of tasks, not one per event."""
    now = timezone.now()
    with transaction.atomic():
        _, created = RecalcFlag.objects.get_or_create(
            community_id=community_id, defaults={"pending": True, "requested_at": now}
        )
        if not created:
            claimed = RecalcFlag.objects.filter(community_id=community_id, pending=False).update(
                pending=True, requested_at=now
            )
            if not claimed:
                return False
    enqueue_after_commit("budgets.recalculate", community_id)
    return True


def run_pending_recalculation(*, community_id: int) -> RunResult | None:
    """The task's work: release the pending flag first (so changes from now on schedule a new
    task), then recalculate the dirty members, or everyone if a full run was asked for. The
    ``full`` mark is cleared only once the full run has finished, so a worker killed half-way
    leaves it for the next run."""
    community = Community.objects.filter(pk=community_id).first()
    if community is None:
        return None
    with transaction.atomic():
        flag = RecalcFlag.objects.select_for_update().filter(community=community).first()
        full_since = flag.full_requested_at if flag is not None else None
        if flag is not None:
            flag.pending = False
            flag.save(update_fields=["pending"])
    if full_since is None:
        return recalculate_community(community=community, kind=RecalcKind.DIRTY)
    return _full_run(community=community, since=full_since)


def _full_run(*, community: Community, since: datetime) -> RunResult:
    if fan_out.fans_out(community):
        # One task per chunk (``budgets.fan_out``), whose last one finishes the run; the
        # members marked meanwhile need not wait for it.
        run = fan_out.start_full_run(community=community, since=since)
        recalculate_community(community=community, kind=RecalcKind.DIRTY)
        return RunResult(chunks=run.chunks if run is not None else 0)
    result = recalculate_community(community=community, kind=RecalcKind.FULL)
    RecalcFlag.objects.filter(community=community, full_requested_at=since).update(
        full_requested_at=None
    )
    # Members marked before or during the full run are done again (cheap, and never lost).
    recalculate_community(community=community, kind=RecalcKind.DIRTY)
    return result


def recalculate_periodically(*, community: Community) -> RunResult:
    """Regeneration without new events (DESIGN.md §3.8): only the members due. A full run
    still owed (a policy change whose run was killed half-way) is done instead."""
    owed = (
        RecalcFlag.objects.filter(community=community, full_requested_at__isnull=False)
        .values_list("full_requested_at", flat=True)
        .first()
    )
    if owed is not None:
        return _full_run(community=community, since=owed)
    return recalculate_community(community=community, kind=RecalcKind.PERIODIC)


def regenerate_budgets() -> int:
    """The scheduler's sweep: one periodic recalculation per community (budgets regenerate as
    charges leave the window, without new events). Each is its own task on the ``recalc``
    queue, so several workers share them (oldest community first)."""
    ids = list(Community.objects.order_by("pk").values_list("pk", flat=True))
    for community_id in ids:
        enqueue_after_commit("budgets.recalculate_periodic", community_id)
    return len(ids)


def resend_stale_requests() -> int:
    """Re-send recalculations whose task was lost (pending for too long)."""
    cutoff = timezone.now() - STALE_PENDING
    stale = list(
        RecalcFlag.objects.filter(
            Q(pending=True, requested_at__lt=cutoff) | Q(full_requested_at__lt=cutoff)
        ).values_list("community_id", flat=True)
    )
    RecalcFlag.objects.filter(community_id__in=stale).update(pending=False)
    return sum(request_recalculation(community_id=pk) for pk in stale)
