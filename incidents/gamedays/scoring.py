"""The pure arithmetic of a game day: which recorded events are due on the accelerated clock,
and the report's figures. Imports no Django (``PURE_MODULES``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

SPEEDS = (1, 10, 30, 60)
# The feeder never sleeps less than this between batches (a burst is sent as one batch).
MIN_PAUSE_SECONDS = 1.0


def due_count(offsets: Sequence[float], *, elapsed_seconds: float, speed: int) -> int:
    """How many of the recording's events (``offsets`` in recorded seconds, ascending) are due
    after ``elapsed_seconds`` of wall-clock time at ``speed`` times (recorded time is wall-clock
    time multiplied by the speed)."""
    if speed < 1:
        raise ValueError("speed must be at least 1")
    recorded_now = elapsed_seconds * speed
    return sum(1 for offset in offsets if offset <= recorded_now)


def pause_before_next(
    offsets: Sequence[float], *, emitted: int, elapsed_seconds: float, speed: int
) -> float | None:
    """Wall-clock seconds until the next event is due (None when all are sent)."""
    if emitted >= len(offsets):
        return None
    wait = offsets[emitted] / speed - elapsed_seconds
    return max(MIN_PAUSE_SECONDS, wait)


def wall_minutes(recorded_seconds: float, speed: int) -> float:
    """How long a recording of ``recorded_seconds`` takes to replay at ``speed`` times, in
    minutes."""
    return recorded_seconds / speed / 60


@dataclass(frozen=True)
class StepFigure:
    position: int
    title: str
    status: str
    finished_at: datetime | None
    due_at: datetime | None


@dataclass(frozen=True)
class Report:
    minutes_to_facilitator: float | None
    minutes_to_cooldown: float | None
    steps_done: int
    steps_skipped: list[str]
    steps_late: list[str]
    steps_not_done: list[str]


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(timedelta(0), end - start).total_seconds() / 60


def build_report(
    *,
    declared_at: datetime | None,
    facilitator_at: datetime | None,
    first_cooldown_at: datetime | None,
    steps: Sequence[StepFigure],
    done: str = "done",
    skipped: str = "skipped",
) -> Report:
    """The rehearsal's figures: minutes from the declaration to a facilitator and to the first
    cooldown; the steps skipped, done after their due time, and left undone."""
    return Report(
        minutes_to_facilitator=_minutes(declared_at, facilitator_at),
        minutes_to_cooldown=_minutes(declared_at, first_cooldown_at),
        steps_done=sum(1 for s in steps if s.status == done),
        steps_skipped=[s.title for s in steps if s.status == skipped],
        steps_late=[
            s.title
            for s in steps
            if s.status == done and s.due_at and s.finished_at and s.finished_at > s.due_at
        ],
        steps_not_done=[s.title for s in steps if s.status not in (done, skipped)],
    )
