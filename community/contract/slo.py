"""Clause SLO math (DESIGN.md §3.1). Framework-free: imports nothing from Django.

Exact decimal arithmetic throughout, so that ``(1 - 0.95) * 200`` is exactly 10; the tier of a
remaining budget comes from ``community.tiers``. Pass targets as strings or Decimals, never floats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from community.problems import Problem
from community.tiers import ONE, ZERO, Tier, as_decimal, tier_for

# A clause selects total events and bad events, with a target in (0, 1) and a rolling window.
# Every function here takes plain counts, so the set-based evaluation in SQL and these
# definitions can be checked against each other.

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR
DEFAULT_WINDOW_DAYS = 30
DEFAULT_MIN_BAD_EVENTS = 3
# Stored precision of SLIs, budgets, thresholds and burn rates (the columns' six places).
SIX_PLACES = Decimal("0.000001")
MAX_WINDOW_DAYS = 366
# More bad events than any window of any forum holds: the bound keeps the number storable.
MAX_MIN_BAD_EVENTS = 1_000_000


class Severity(StrEnum):
    """How an alert reaches moderators: a page now, or a ticket to look at this week."""

    PAGE = "page"
    TICKET = "ticket"


@dataclass(frozen=True)
class AlertRule:
    """One multi-window burn-rate rule: fires when both windows burn faster than
    ``budget_percent`` % of the budget spent in ``long_minutes`` would imply."""

    name: str
    severity: Severity
    budget_percent: Decimal
    long_minutes: int
    short_minutes: int

    def threshold(self, window_days: int) -> Decimal:
        """``X/100 * window_hours / L_hours`` (minutes cancel out the same way)."""
        return self.budget_percent / 100 * window_days * MINUTES_PER_DAY / self.long_minutes

    def as_dict(self) -> dict[str, str | int]:
        return {
            "name": self.name,
            "severity": str(self.severity),
            "budget_percent": str(self.budget_percent),
            "long_minutes": self.long_minutes,
            "short_minutes": self.short_minutes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> AlertRule:
        return cls(
            name=str(data["name"]),
            severity=Severity(str(data["severity"])),
            budget_percent=as_decimal(str(data["budget_percent"])),
            long_minutes=int(str(data["long_minutes"])),
            short_minutes=int(str(data["short_minutes"])),
        )


# The SRE Workbook's defaults for a 30-day window: 2 % of the budget in 1 h (burn 14.4),
# 5 % in 6 h (burn 6), 10 % in 3 days (burn 1); each short window is 1/12 of its long one.
DEFAULT_ALERT_RULES: tuple[AlertRule, ...] = (
    AlertRule("page_fast", Severity.PAGE, Decimal(2), 60, 5),
    AlertRule("page_slow", Severity.PAGE, Decimal(5), 6 * 60, 30),
    AlertRule("ticket", Severity.TICKET, Decimal(10), 3 * MINUTES_PER_DAY, 6 * 60),
)


@dataclass(frozen=True)
class Counts:
    """Total and bad events in one window."""

    total: int
    bad: int

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.total + other.total, self.bad + other.bad)


def sli(total: int, bad: int) -> Decimal | None:
    """``(T - B) / T``; ``None`` means "no data" (no traffic in the window)."""
    if total <= 0:
        return None
    return Decimal(total - bad) / Decimal(total)


def allowed_bad(target: Decimal, total: int) -> Decimal:
    """``(1 - target) * T``: the bad events the window can absorb."""
    return (ONE - target) * total


def budget_remaining(target: Decimal, total: int, bad: int) -> Decimal:
    """``1 - B / allowed_bad``; 1 with no traffic; may go below 0."""
    if total <= 0:
        return ONE
    return ONE - bad / allowed_bad(target, total)


def burn_rate(target: Decimal, total: int, bad: int) -> Decimal:
    """``(B_w / T_w) / (1 - target)``; 0 when the window has no traffic."""
    if total <= 0:
        return ZERO
    return (Decimal(bad) / Decimal(total)) / (ONE - target)


def window_label(minutes: int) -> str:
    """A short, stable name for a window: ``5m``, ``1h``, ``3d``."""
    if minutes % MINUTES_PER_DAY == 0:
        return f"{minutes // MINUTES_PER_DAY}d"
    if minutes % MINUTES_PER_HOUR == 0:
        return f"{minutes // MINUTES_PER_HOUR}h"
    return f"{minutes}m"


def parse_window(text: str) -> int:
    """Minutes in ``5m`` / ``1h`` / ``3d`` / ``2w``; ValueError names what is wrong."""
    text = text.strip()
    units = {"m": 1, "h": MINUTES_PER_HOUR, "d": MINUTES_PER_DAY, "w": 7 * MINUTES_PER_DAY}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(f"“{text}” is not a duration like 5m, 1h, 3d or 2w")
    minutes = int(text[:-1]) * units[text[-1]]
    if minutes <= 0:
        raise ValueError("a duration must be longer than zero")
    return minutes


@dataclass(frozen=True)
class ClauseStatus:
    """A clause's standing over its window, with the burn rate of every alert window."""

    total: int
    bad: int
    sli: Decimal | None
    allowed_bad: Decimal
    budget_remaining: Decimal
    tier: Tier
    burn_rates: dict[str, Decimal]

    @property
    def has_data(self) -> bool:
        return self.sli is not None


def clause_status(
    *, target: Decimal, window: Counts, burn_windows: Mapping[int, Counts]
) -> ClauseStatus:
    """Status over the whole window; ``burn_windows`` maps window minutes to their counts."""
    remaining = budget_remaining(target, window.total, window.bad)
    return ClauseStatus(
        total=window.total,
        bad=window.bad,
        sli=sli(window.total, window.bad),
        allowed_bad=allowed_bad(target, window.total),
        budget_remaining=remaining,
        tier=tier_for(remaining),
        burn_rates={
            window_label(minutes): burn_rate(target, counts.total, counts.bad)
            for minutes, counts in sorted(burn_windows.items())
        },
    )


@dataclass(frozen=True)
class AlertDecision:
    """Whether one rule fires, with the numbers that decided it."""

    rule: AlertRule
    firing: bool
    threshold: Decimal
    burn_rate_long: Decimal
    burn_rate_short: Decimal
    bad_long: int
    total_long: int


def decide_alerts(
    *,
    target: Decimal,
    window_days: int,
    rules: Sequence[AlertRule],
    counts: Mapping[int, Counts],
    min_bad_events: int = DEFAULT_MIN_BAD_EVENTS,
) -> list[AlertDecision]:
    """The multi-window, multi-burn-rate decision with a volume guard (DESIGN.md §3.1).

    A rule fires only when both its long and its short window burn at or above the threshold
    and the long window holds at least ``min_bad_events`` bad events. ``counts`` maps window
    minutes to the counts by the time events were recorded.
    """
    decisions = []
    for rule in rules:
        long = counts.get(rule.long_minutes, Counts(0, 0))
        short = counts.get(rule.short_minutes, Counts(0, 0))
        threshold = rule.threshold(window_days)
        burn_long = burn_rate(target, long.total, long.bad)
        burn_short = burn_rate(target, short.total, short.bad)
        firing = (
            long.bad >= min_bad_events
            and burn_long >= threshold
            and burn_short >= threshold
            and burn_long > ZERO
        )
        decisions.append(
            AlertDecision(
                rule=rule,
                firing=firing,
                threshold=threshold,
                burn_rate_long=burn_long,
                burn_rate_short=burn_short,
                bad_long=long.bad,
                total_long=long.total,
            )
        )
    return decisions


def definition_errors(
    *,
    target: Decimal,
    window_days: int,
    rules: Sequence[AlertRule],
    min_bad_events: int,
    total_kinds: Sequence[str],
    bad_kinds: Sequence[str],
) -> list[tuple[str, Problem]]:
    """What is wrong with a clause definition, as (field, problem) pairs; empty when valid.
    ``community.contract.clause_words`` says each problem in the reader's language."""
    errors: list[tuple[str, Problem]] = []
    if not ZERO < target < ONE:
        errors.append(("target", Problem("target")))
    if window_days < 1 or window_days > MAX_WINDOW_DAYS:
        errors.append(("window_days", Problem("window_days", {"max": MAX_WINDOW_DAYS})))
    if min_bad_events < 1:
        errors.append(("min_bad_events", Problem("min_bad_events")))
    if min_bad_events > MAX_MIN_BAD_EVENTS:
        errors.append(("min_bad_events", Problem("max_bad_events", {"max": MAX_MIN_BAD_EVENTS})))
    if not total_kinds:
        errors.append(("total_kinds", Problem("total_kinds")))
    if not bad_kinds:
        errors.append(("bad_kinds", Problem("bad_kinds")))
    names: set[str] = set()
    for index, rule in enumerate(rules):
        where = f"alert_rules[{index}]"
        named = {"name": rule.name}
        if rule.name in names:
            errors.append((f"{where}.name", Problem("rule_twice", named)))
        names.add(rule.name)
        if rule.short_minutes >= rule.long_minutes:
            errors.append((f"{where}.short_minutes", Problem("short_window", named)))
        if rule.short_minutes < 1:
            errors.append((f"{where}.short_minutes", Problem("minute")))
        if window_days >= 1 and rule.long_minutes > window_days * MINUTES_PER_DAY:
            errors.append((f"{where}.long_minutes", Problem("long_window", named)))
        if not ZERO < rule.budget_percent <= 100:
            errors.append((f"{where}.budget_percent", Problem("budget_share")))
    return errors


@dataclass(frozen=True)
class ClauseDefinition:
    """Everything that defines a clause as an SLO, as plain data (what a version freezes and
    what OpenSLO carries). ``spaces`` are space ids; empty means every space."""

    title: str
    wording: str
    total_kinds: tuple[str, ...]
    bad_kinds: tuple[str, ...]
    target: Decimal
    total_categories: tuple[str, ...] = ()
    bad_categories: tuple[str, ...] = ()
    spaces: tuple[int, ...] = ()
    per_space: bool = True
    window_days: int = DEFAULT_WINDOW_DAYS
    alert_rules: tuple[AlertRule, ...] = DEFAULT_ALERT_RULES
    min_bad_events: int = DEFAULT_MIN_BAD_EVENTS

    def errors(self) -> list[tuple[str, Problem]]:
        errors = definition_errors(
            target=self.target,
            window_days=self.window_days,
            rules=self.alert_rules,
            min_bad_events=self.min_bad_events,
            total_kinds=self.total_kinds,
            bad_kinds=self.bad_kinds,
        )
        if not self.title.strip():
            errors.insert(0, ("title", Problem("title")))
        if not self.wording.strip():
            errors.insert(0, ("wording", Problem("wording")))
        return errors

    @property
    def burn_windows(self) -> list[int]:
        """Every alert window in minutes, each once, shortest first."""
        return sorted({m for r in self.alert_rules for m in (r.long_minutes, r.short_minutes)})

    def as_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "wording": self.wording,
            "total_kinds": list(self.total_kinds),
            "total_categories": list(self.total_categories),
            "bad_kinds": list(self.bad_kinds),
            "bad_categories": list(self.bad_categories),
            "spaces": list(self.spaces),
            "per_space": self.per_space,
            "target": format(self.target.normalize(), "f"),
            "window_days": self.window_days,
            "alert_rules": [rule.as_dict() for rule in self.alert_rules],
            "min_bad_events": self.min_bad_events,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ClauseDefinition:
        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key) or []
            assert isinstance(value, list | tuple)
            return tuple(str(v) for v in value)

        rules = data.get("alert_rules")
        assert isinstance(rules, list | tuple)
        spaces = data.get("spaces") or []
        assert isinstance(spaces, list | tuple)
        return cls(
            title=str(data["title"]),
            wording=str(data["wording"]),
            total_kinds=strings("total_kinds"),
            total_categories=strings("total_categories"),
            bad_kinds=strings("bad_kinds"),
            bad_categories=strings("bad_categories"),
            spaces=tuple(int(str(s)) for s in spaces),
            per_space=bool(data.get("per_space", True)),
            target=as_decimal(str(data["target"])),
            window_days=int(str(data["window_days"])),
            alert_rules=tuple(AlertRule.from_dict(r) for r in rules),
            min_bad_events=int(str(data["min_bad_events"])),
        )
