"""Medians and 90th percentiles of response times, by month: pure, no Django."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


def percentile(values: Iterable[timedelta | None], share: float) -> timedelta | None:
    """The nearest-rank percentile (``share`` 0.5 for the median, 0.9 for p90) of the known
    values: the smallest value with at least ``share`` of them at or below it. ``None`` when
    nothing is known. Nearest rank, not interpolation, so every figure is a time that
    actually happened."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    rank = max(1, math.ceil(share * len(known)))
    return known[rank - 1]


def elapsed(start: datetime | None, end: datetime | None) -> timedelta | None:
    if start is None or end is None:
        return None
    return max(end - start, timedelta(0))


@dataclass(frozen=True)
class Times:
    """One incident's moments (declared, first facilitator, first cooldown, resolved)."""

    declared_at: datetime
    facilitator_at: datetime | None
    cooldown_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class Spread:
    median: timedelta | None
    p90: timedelta | None
    count: int


def spread(values: Sequence[timedelta | None]) -> Spread:
    known = [v for v in values if v is not None]
    return Spread(percentile(known, 0.5), percentile(known, 0.9), len(known))


@dataclass(frozen=True)
class MonthTimes:
    month: str  # "2026-11"
    incidents: int
    to_facilitator: Spread
    to_cooldown: Spread
    to_resolution: Spread


def by_month(incidents: Sequence[Times]) -> list[MonthTimes]:
    """Median and p90 of each response time per calendar month of declaration, oldest first."""
    months: dict[str, list[Times]] = {}
    for times in incidents:
        months.setdefault(times.declared_at.strftime("%Y-%m"), []).append(times)
    return [
        MonthTimes(
            month=month,
            incidents=len(group),
            to_facilitator=spread([elapsed(t.declared_at, t.facilitator_at) for t in group]),
            to_cooldown=spread([elapsed(t.declared_at, t.cooldown_at) for t in group]),
            to_resolution=spread([elapsed(t.declared_at, t.resolved_at) for t in group]),
        )
        for month, group in sorted(months.items())
    ]


def overall(incidents: Sequence[Times]) -> MonthTimes:
    """The same figures over every incident given (``month`` is empty)."""
    return MonthTimes(
        month="",
        incidents=len(incidents),
        to_facilitator=spread([elapsed(t.declared_at, t.facilitator_at) for t in incidents]),
        to_cooldown=spread([elapsed(t.declared_at, t.cooldown_at) for t in incidents]),
        to_resolution=spread([elapsed(t.declared_at, t.resolved_at) for t in incidents]),
    )


def repeats(incidents: Sequence[tuple[int, datetime, frozenset[int]]], *, days: int) -> set[int]:
    """Ids of the incidents (id, declared at, space ids) that followed an earlier incident in
    one of the same spaces within ``days`` days: the conflict came back."""
    ordered = sorted(incidents, key=lambda i: (i[1], i[0]))
    found: set[int] = set()
    for n, (pk, at, spaces) in enumerate(ordered):
        for _, earlier_at, earlier_spaces in ordered[:n]:
            if at - earlier_at <= timedelta(days=days) and spaces & earlier_spaces:
                found.add(pk)
                break
    return found
