"""Counting a clause's events in SQL and judging the counts with the pure math.

Every number comes from ``community.contract.slo``; this module only counts. One aggregate
query per clause counts the whole window (by ``occurred_at``: a flag upheld days later still
lands on the day of the post) and every alert window (by ``recorded_at``: alerts react to what
we learned, when we learned it), grouped by space so that per-space status costs nothing extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q

from community.contract.hooks import alert_window_rows
from community.contract.slo import (
    AlertDecision,
    ClauseDefinition,
    ClauseStatus,
    Counts,
    clause_status,
    decide_alerts,
)
from community.models import ConductEvent, bad_event_q

COMMUNITY_SCOPE = ""


def scope_of(space_id: int | None) -> str:
    return COMMUNITY_SCOPE if space_id is None else str(space_id)


def selectors(community_id: int, definition: ClauseDefinition, now: datetime) -> tuple[Q, Q]:
    """(total, bad) row filters of a clause. Bad events are the spine's definition
    (``bad_event_q``: friction reversed by the time of ``now`` is not bad), narrowed to the
    clause's categories."""
    total = Q(kind__in=definition.total_kinds)
    if definition.total_categories:
        total &= Q(category__in=definition.total_categories)
    bad = bad_event_q(definition.bad_kinds, community_id=community_id, as_of=now)
    if definition.bad_categories:
        bad &= Q(category__in=definition.bad_categories)
    return total, bad


@dataclass(frozen=True)
class ScopeCounts:
    """Counts for one scope: the whole window, and each alert window in minutes."""

    window: Counts
    recent: dict[int, Counts]

    def __add__(self, other: ScopeCounts) -> ScopeCounts:
        keys = set(self.recent) | set(other.recent)
        zero = Counts(0, 0)
        return ScopeCounts(
            window=self.window + other.window,
            recent={k: self.recent.get(k, zero) + other.recent.get(k, zero) for k in keys},
        )


def empty_counts(definition: ClauseDefinition) -> ScopeCounts:
    """No events at all, in the window and in every alert window."""
    return ScopeCounts(Counts(0, 0), {m: Counts(0, 0) for m in definition.burn_windows})


def count_clause(
    *, community_id: int, definition: ClauseDefinition, now: datetime
) -> dict[int | None, ScopeCounts]:
    """One aggregate query: counts per space (``None`` for events without a space)."""
    total_q, bad_q = selectors(community_id, definition, now)
    start = now - timedelta(days=definition.window_days)
    windows = definition.burn_windows
    in_window = Q(occurred_at__gt=start, occurred_at__lte=now)
    rows = ConductEvent.objects.filter(community_id=community_id)
    candidates = in_window
    live = Q()
    if windows:
        since = now - timedelta(minutes=max(windows))
        candidates |= Q(recorded_at__gt=since, recorded_at__lte=now)
        # Imported history counts in the SLI window, never in an alert window (docs/replay.md).
        live = alert_window_rows(community_id, since)
    rows = rows.filter(candidates)
    if definition.spaces:
        rows = rows.filter(space_id__in=definition.spaces)
    aggregates: dict[str, Any] = {
        "total": Count("pk", filter=total_q & in_window),
        "bad": Count("pk", filter=bad_q & in_window),
    }
    for minutes in windows:
        recent = Q(recorded_at__gt=now - timedelta(minutes=minutes), recorded_at__lte=now) & live
        aggregates[f"t{minutes}"] = Count("pk", filter=total_q & recent)
        aggregates[f"b{minutes}"] = Count("pk", filter=bad_q & recent)
    result: dict[int | None, ScopeCounts] = {}
    row: dict[str, Any]
    for row in rows.order_by().values("space_id").annotate(**aggregates):  # type: ignore[assignment]
        result[row["space_id"]] = ScopeCounts(
            window=Counts(row["total"], row["bad"]),
            recent={m: Counts(row[f"t{m}"], row[f"b{m}"]) for m in windows},
        )
    return result


@dataclass(frozen=True)
class ScopeResult:
    space_id: int | None
    status: ClauseStatus
    decisions: list[AlertDecision]


def judge(definition: ClauseDefinition, space_id: int | None, counts: ScopeCounts) -> ScopeResult:
    """The status of one scope and the decision of every alert rule, from its counts."""
    status = clause_status(
        target=definition.target, window=counts.window, burn_windows=counts.recent
    )
    decisions = decide_alerts(
        target=definition.target,
        window_days=definition.window_days,
        rules=definition.alert_rules,
        counts=counts.recent,
        min_bad_events=definition.min_bad_events,
    )
    return ScopeResult(space_id, status, decisions)
