"""The fairness board's stored counts (``FairnessSnapshot``): what the board and the API read
when the counts are fresh (``FAIRNESS_SNAPSHOT_MAX_AGE``), so a page at 100,000 members reads
one row instead of the window's events. Counted hourly for every community (the default
window) and when a moderator asks; when there is no fresh row the board counts itself, stores
it and serves it. Either way the figures come from ``figures_of`` over the same rows.

A space's board is counted on every request (it is not stored).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from boards.fairness import DEFAULT_WINDOW_DAYS, Fairness, count_cohorts, figures_of, plain_rows
from boards.models import FairnessSnapshot
from community.models import Community, Space


def max_age() -> timedelta:
    return timedelta(seconds=settings.FAIRNESS_SNAPSHOT_MAX_AGE)


def store_fairness(
    *, community: Community, window_days: int = DEFAULT_WINDOW_DAYS, at: datetime | None = None
) -> FairnessSnapshot:
    """Count the community's cohorts now (one query) and keep the rows (one upsert)."""
    at = at or timezone.now()
    rows = plain_rows(count_cohorts(community=community, at=at, window_days=window_days))
    snapshot = FairnessSnapshot(
        community=community,
        window_days=window_days,
        computed_at=at,
        rows=[list(row) for row in rows],
    )
    # One statement, safe against the hourly task and a moderator's request counting together.
    FairnessSnapshot.objects.bulk_create(
        [snapshot],
        update_conflicts=True,
        unique_fields=["community", "window_days"],
        update_fields=["computed_at", "rows"],
    )
    return snapshot


def fairness_board(
    *, community: Community, window_days: int, space: Space | None = None
) -> Fairness:
    """The fairness figures the board and the API show: from a fresh stored count when there
    is one (as of its time), else counted now and stored."""
    now = timezone.now()
    if space is not None:
        rows = count_cohorts(community=community, at=now, window_days=window_days, space=space)
        return figures_of(rows, at=now, window_days=window_days, space=space)
    snapshot = FairnessSnapshot.objects.filter(
        community=community, window_days=window_days, computed_at__gte=now - max_age()
    ).first()
    if snapshot is None:
        snapshot = store_fairness(community=community, window_days=window_days, at=now)
    rows = [tuple(row) for row in snapshot.rows]
    return figures_of(rows, at=snapshot.computed_at, window_days=window_days)
