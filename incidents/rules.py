"""Incident rules and math, framework-free (no Django): the lifecycle, "calm" for a space
(DESIGN.md §3.1), response-time metrics and the incident cost rule (§3.5).

Exact ``Decimal`` arithmetic for burn rates and budget shares, so boundaries are exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from community.contract import slo
from community.tiers import ONE, ZERO, as_decimal

# --- What a clause alert does -------------------------------------------------------------------

JOIN = "join"
SUGGEST = "suggest"
DECLARE = "declare"


def alert_outcome(*, on_space: bool, covered: bool, suggest_all: bool) -> str:
    """The detection rule for a clause alert: an alert on a space that an open incident already
    covers joins it; an alert on the whole community, or any alert where the community takes
    alerts as suggestions, is suggested to the moderators; otherwise a SEV3 incident is declared
    on the space. The live path and the replay both decide with it."""
    if on_space and covered:
        return JOIN
    if not on_space or suggest_all:
        return SUGGEST
    return DECLARE


# --- Lifecycle ------------------------------------------------------------------------------

DECLARED = "declared"
MITIGATING = "mitigating"
MONITORING = "monitoring"
RESOLVED = "resolved"
CLOSED = "closed"
STATUS_ORDER = (DECLARED, MITIGATING, MONITORING, RESOLVED, CLOSED)

# declared -> resolved is a false alarm; monitoring -> mitigating is a flare-up.
TRANSITIONS: dict[str, frozenset[str]] = {
    DECLARED: frozenset({MITIGATING, RESOLVED}),
    MITIGATING: frozenset({MONITORING, RESOLVED}),
    MONITORING: frozenset({MITIGATING, RESOLVED}),
    RESOLVED: frozenset({CLOSED}),
    CLOSED: frozenset(),
}
OPEN_STATUSES = frozenset({DECLARED, MITIGATING, MONITORING})


def transition_error(current: str, target: str) -> str | None:
    """Why ``current -> target`` is refused, or None when it is allowed."""
    if current not in TRANSITIONS:
        return f"Unknown status “{current}”."
    if target not in TRANSITIONS:
        return f"Unknown status “{target}”."
    if target == current:
        return f"The incident is already {current}."
    if target in TRANSITIONS[current]:
        return None
    allowed = ", ".join(s for s in STATUS_ORDER if s in TRANSITIONS[current]) or "nothing"
    return (
        f"An incident that is {current} cannot become {target}; "
        f"from {current} it can go to: {allowed}."
    )


# --- Calm (multi-window burn rate) ------------------------------------------------------------


@dataclass(frozen=True)
class WindowCount:
    """Bad and total events of a space in one window (by the time we recorded them)."""

    hours: Decimal
    bad: int
    total: int


@dataclass(frozen=True)
class CalmVerdict:
    calm: bool
    burn_long: Decimal
    burn_short: Decimal
    threshold: Decimal

    def explain(self) -> str:
        long_, short = _fmt(self.burn_long), _fmt(self.burn_short)
        pace = (
            f"using its room at {long_} times the steady pace over the long window and "
            f"{short} times over the short one"
        )
        if self.calm:
            return f"calm: {pace}, both under {_fmt(self.threshold)} times"
        return f"not calm yet: {pace}; both must be under {_fmt(self.threshold)} times"


def is_calm(
    long: WindowCount, short: WindowCount, *, target: Decimal | str, threshold: Decimal | str
) -> CalmVerdict:
    """A space is calm when *both* windows burn under the threshold: the mirror image of the
    multi-window alert rule, so one quiet five minutes inside a hot hour is not "calm".
    The burn rates are the clause math's (``community.contract.slo.burn_rate``, DESIGN §3.1);
    the target is checked here, since a runbook step's target is typed in by a moderator."""
    limit = as_decimal(threshold)
    t = as_decimal(target)
    if not ZERO < t < ONE:
        raise ValueError("target must be between 0 and 1")
    b_long = slo.burn_rate(t, long.total, long.bad)
    b_short = slo.burn_rate(t, short.total, short.bad)
    return CalmVerdict(
        calm=b_long < limit and b_short < limit,
        burn_long=b_long,
        burn_short=b_short,
        threshold=limit,
    )


def _fmt(value: Decimal) -> str:
    """Rounded for people: one decimal at most, none when it is a zero (2.6, 1, 0)."""
    text = format(value.quantize(Decimal("0.1")), "f")
    return text[:-2] if text.endswith(".0") else text


# --- Response metrics -----------------------------------------------------------------------


def elapsed(start: datetime | None, end: datetime | None) -> timedelta | None:
    if start is None or end is None:
        return None
    return max(end - start, timedelta(0))


def median(values: Iterable[timedelta | None]) -> timedelta | None:
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    mid = len(known) // 2
    if len(known) % 2:
        return known[mid]
    return (known[mid - 1] + known[mid]) / 2


# --- Incident cost (DESIGN §3.5) ------------------------------------------------------------

POSTMORTEM_SHARE = Decimal("0.20")


@dataclass(frozen=True)
class ClauseShare:
    """The share of one clause's error budget an incident consumed: its bad events in the
    incident's spaces divided by the clause's ``allowed_bad = (1 - target) * T`` over the
    clause's window (DESIGN §3.1, §3.5). 0.25 is a quarter of the budget."""

    clause_id: int
    title: str
    share: Decimal


def budget_share(consumed: int, allowed_bad: Decimal) -> Decimal:
    """``consumed / allowed_bad``; with nothing allowed (no traffic), any bad event consumes the
    whole budget and none consumes nothing."""
    if allowed_bad <= ZERO:
        return ONE if consumed > 0 else ZERO
    return Decimal(consumed) / allowed_bad


def postmortem_required(
    shares: Sequence[ClauseShare], *, limit: Decimal = POSTMORTEM_SHARE
) -> bool:
    """An incident that consumed *more than* 20 % of any clause's budget needs a postmortem."""
    return any(s.share > limit for s in shares)
