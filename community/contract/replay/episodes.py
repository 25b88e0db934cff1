"""Replay of a clause's alerts over past events (DESIGN.md §3.7). Framework-free.

At every minute boundary ``m`` in ``(start, end]`` the clause is judged exactly as the live
schedule would have judged it at ``m``: only events with ``recorded_at <= m`` exist, alert windows
count by ``recorded_at``, a bad event reversed by a reversing event recorded by ``m`` no longer
counts, and the decision is the live path's own ``slo.decide_alerts``. An episode starts at the
first minute its rule holds and ends at the first later minute it does not.

Speed: events are bucketed once into minutes, each alert window is a difference of prefix sums,
and ``decide_alerts`` runs only at minutes where an exact integer pre-check says a rule could
hold (or an episode is open); elsewhere every rule is quiet, which is what it would decide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from community.contract.slo import ClauseDefinition, Counts, decide_alerts

MINUTE = timedelta(minutes=1)
COMMUNITY = None  # the scope of the whole community


@dataclass(frozen=True)
class ReplayEvent:
    """An event as the replay sees it."""

    kind: str
    occurred_at: datetime
    recorded_at: datetime
    space_id: int | None = None
    category: str = ""
    subject: str = ""


@dataclass(frozen=True)
class Episode:
    """One alert episode the replay found; ``cleared_at`` is None while still open at the end."""

    rule: str
    severity: str
    space_id: int | None
    fired_at: datetime
    cleared_at: datetime | None
    burn_rate_long: str
    burn_rate_short: str
    bad_long: int
    total_long: int


def minute_of(at: datetime, start: datetime) -> int:
    """The first boundary ``start + k minutes`` at or after ``at`` (``at`` counts at ``k``)."""
    return -((start - at) // MINUTE)


def reversal_times(
    events: Iterable[ReplayEvent], reversing: Mapping[str, str], bad_kinds: Iterable[str]
) -> dict[str, datetime]:
    """When each subject was first reversed by a reverser whose undone kind is bad: the spine's
    ``bad_event_q`` in time order."""
    reversers = {k for k, undone in reversing.items() if undone in set(bad_kinds)}
    first: dict[str, datetime] = {}
    for event in events:
        if event.kind in reversers and event.subject:
            seen = first.get(event.subject)
            if seen is None or event.recorded_at < seen:
                first[event.subject] = event.recorded_at
    return first


def _prefix(per_minute: list[int]) -> list[int]:
    out = [0]
    running = 0
    for value in per_minute:
        running += value
        out.append(running)
    return out


class _Scope:
    """Per-minute counts of one scope, by the minute each event became known."""

    def __init__(self, size: int) -> None:
        self.total = [0] * size
        self.bad = [0] * size
        # (record minute, undo minute) of each bad event a reversal takes out: they are few
        self.undo_pairs: list[tuple[int, int]] = []


def replay_alerts(
    *,
    definition: ClauseDefinition,
    events: Iterable[ReplayEvent],
    start: datetime,
    end: datetime,
    reversing: Mapping[str, str],
    progress: Callable[[int], None] | None = None,
) -> list[Episode]:
    """Every alert episode of ``definition`` over ``(start, end]`` (``start`` on a minute).

    ``events`` must include everything recorded in the longest alert window before ``start``
    and every reversing event recorded by ``end``. ``progress`` gets 0-100 now and then."""
    events = list(events)
    windows = definition.burn_windows
    lookback = max(windows) if windows else 0
    minutes = minute_of(end, start)
    size = lookback + minutes + 1
    offset = lookback  # index of minute k is k + offset
    reversed_at = reversal_times(events, reversing, definition.bad_kinds)
    total_kinds, bad_kinds = set(definition.total_kinds), set(definition.bad_kinds)
    total_cats, bad_cats = set(definition.total_categories), set(definition.bad_categories)
    undoable = {undone for k, undone in reversing.items() if undone in bad_kinds}
    only = set(definition.spaces)
    scopes: dict[int | None, _Scope] = {COMMUNITY: _Scope(size)}
    for event in events:
        if only and event.space_id not in only:
            continue
        is_total = event.kind in total_kinds and (not total_cats or event.category in total_cats)
        is_bad = event.kind in bad_kinds and (not bad_cats or event.category in bad_cats)
        if not (is_total or is_bad):
            continue
        index = minute_of(event.recorded_at, start) + offset
        if index < 1 or index >= size:
            continue
        undone_index = size
        if is_bad and event.kind in undoable and event.subject in reversed_at:
            undone_index = max(index, minute_of(reversed_at[event.subject], start) + offset)
        targets = [scopes[COMMUNITY]]
        if definition.per_space and event.space_id is not None:
            scope = scopes.get(event.space_id)
            if scope is None:
                scope = scopes[event.space_id] = _Scope(size)
            targets.append(scope)
        for scope in targets:
            if is_total:
                scope.total[index] += 1
            if is_bad:
                scope.bad[index] += 1
                if undone_index < size:
                    scope.undo_pairs.append((index, undone_index))
    return _judge_minutes(definition, scopes, start, offset, minutes, progress)


def _judge_minutes(
    definition: ClauseDefinition,
    scopes: dict[int | None, _Scope],
    start: datetime,
    offset: int,
    minutes: int,
    progress: Callable[[int], None] | None,
) -> list[Episode]:
    target = definition.target
    rules = definition.alert_rules
    # burn >= threshold  <=>  bad * (1 - target) ... exactly: bad/total >= threshold*(1-target)
    bars = [
        Fraction(rule.threshold(definition.window_days)) * Fraction(1 - target) for rule in rules
    ]
    # A little slack keeps the integer pre-check a necessary condition whatever the Decimal
    # context rounds; decide_alerts makes the decision.
    slack = Fraction(1, 10**9)
    pre = [((bar - slack).numerator, (bar - slack).denominator) for bar in bars]
    episodes: list[Episode] = []
    order = sorted(scopes, key=lambda s: -1 if s is None else s)
    for position, scope_id in enumerate(order):
        scope = scopes[scope_id]
        total_p = _prefix(scope.total)
        bad_p = _prefix(scope.bad)
        # bad at minute i in window w: recorded in (i-w, i], minus those undone by i
        open_: dict[str, Episode] = {}
        min_bad = definition.min_bad_events
        checks = [
            (rule, num, den, rule.long_minutes, rule.short_minutes)
            for rule, (num, den) in zip(rules, pre, strict=True)
        ]
        for k in range(1, minutes + 1):
            i = k + offset
            top_t, top_b = total_p[i + 1], bad_p[i + 1]
            # counts before reversals: never fewer bad events than the decision will see, so
            # a rule left out here cannot hold, and decide_alerts judges the others
            candidates = []
            for rule, num, den, long_w, short_w in checks:
                long_bad = top_b - bad_p[i + 1 - long_w]
                if long_bad < min_bad:
                    continue
                if long_bad * den < num * (top_t - total_p[i + 1 - long_w]):
                    continue
                if (top_b - bad_p[i + 1 - short_w]) * den < num * (
                    top_t - total_p[i + 1 - short_w]
                ):
                    continue
                candidates.append(rule)
            if not candidates and not open_:
                continue
            at = start + k * MINUTE
            decisions = []
            if candidates:
                counts: dict[int, Counts] = {}
                for rule in candidates:
                    for window in (rule.long_minutes, rule.short_minutes):
                        counts[window] = Counts(
                            top_t - total_p[i + 1 - window],
                            top_b - bad_p[i + 1 - window] - _undone_in(scope, i, window),
                        )
                decisions = decide_alerts(
                    target=target,
                    window_days=definition.window_days,
                    rules=candidates,
                    counts=counts,
                    min_bad_events=min_bad,
                )
            firing = {d.rule.name: d for d in decisions if d.firing}
            for name in [n for n in open_ if n not in firing]:
                episodes.append(_closed(open_.pop(name), at))
            for name, decision in firing.items():
                if name not in open_:
                    open_[name] = Episode(
                        rule=name,
                        severity=str(decision.rule.severity),
                        space_id=scope_id,
                        fired_at=at,
                        cleared_at=None,
                        burn_rate_long=str(decision.burn_rate_long),
                        burn_rate_short=str(decision.burn_rate_short),
                        bad_long=decision.bad_long,
                        total_long=decision.total_long,
                    )
        episodes.extend(open_.values())
        if progress is not None:
            progress(100 * (position + 1) // len(order))
    return sorted(
        episodes, key=lambda e: (e.fired_at, -1 if e.space_id is None else e.space_id, e.rule)
    )


def _closed(episode: Episode, at: datetime) -> Episode:
    return Episode(**{**episode.__dict__, "cleared_at": at})


def _undone_in(scope: _Scope, i: int, window: int) -> int:
    """Bad events recorded in (i - window, i] that a reversal recorded by minute i took out."""
    if not scope.undo_pairs:
        return 0
    low = i - window
    return sum(1 for rec, undo in scope.undo_pairs if undo <= i and low < rec <= i)
