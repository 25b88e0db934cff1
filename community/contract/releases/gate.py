"""The canary gate: does a contract version on trial in some spaces do harm there?

Pure math (no Django): the same SLI and burn-rate definitions as the live path
(``community.contract.slo``, DESIGN.md §3.1), applied to two sides.

* **Canary side**: the trial spaces, counted with the version on trial, from the start of the
  trial (the SLI) and over the last hour (the burn rate, by the time events were recorded).
* **Baseline side**: the rest of the community with the version in force over the same time,
  or the trial spaces' own 14 days before the trial (the moderator chooses).

The gate fails, per clause, when any of these holds:

1. **SLI**: with at least ``min_events`` events counted on the canary side, its SLI is more than
   ``sli_drop_points`` percentage points below the baseline's (below the clause target when the
   baseline has no data).
2. **Burn rate**: over the last hour the canary side burns at or above ``burn_rate`` and holds at
   least the clause's ``min_bad_events`` bad events (the same volume guard as alerts).
3. **Appeals** (once for the trial, not per clause): with at least ``MIN_CHARGES`` charges in the
   trial spaces since the start, the share overturned on appeal is above ``overturned_percent``
   and above the baseline's share.

Worked example (target 98 %, thresholds 1 point, 6, 25 %). Canary: 400 posts, 20 bad → SLI 95 %;
baseline: 2,000 posts, 30 bad → SLI 98.5 %: a drop of 3.5 points > 1 → fails. Last hour in
the canary: 60 posts, 9 bad → burn (9/60)/0.02 = 7.5 ≥ 6 with 9 ≥ 3 bad → fails. Appeals: 8
charges, 3 overturned (37.5 %) against 10 % elsewhere → fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from gettext import NullTranslations

from community.contract.slo import ClauseDefinition

HUNDRED = Decimal(100)
MIN_CHARGES = 3
RECENT_MINUTES = 60

# Each finding names what it found with a code and its values (``Finding.code``,
# ``Finding.params``); ``releases.words`` says them in the reader's language, or in the
# community's when stored. ``Finding.words`` is the same finding as an English record (the
# API's and older trials'), so the plural forms are English ones; Django's catalogues are not
# reachable from here.
english_ngettext = NullTranslations().ngettext

HOLDS = "holds"
FAILS = "fails"


@dataclass(frozen=True)
class Thresholds:
    sli_drop_points: Decimal = Decimal("1")
    burn_rate: Decimal = Decimal("6")
    overturned_percent: Decimal = Decimal("25")
    min_events: int = 20


@dataclass(frozen=True)
class Side:
    """Counts of one side for one clause."""

    total: int
    bad: int
    recent_total: int = 0
    recent_bad: int = 0

    @property
    def sli(self) -> Decimal | None:
        return None if self.total == 0 else Decimal(self.total - self.bad) / Decimal(self.total)


@dataclass(frozen=True)
class Appeals:
    charges: int
    overturned: int

    @property
    def share(self) -> Decimal | None:
        return None if self.charges == 0 else Decimal(self.overturned) / Decimal(self.charges)


@dataclass(frozen=True)
class ClauseSides:
    title: str
    definition: ClauseDefinition
    canary: Side
    baseline: Side


@dataclass(frozen=True)
class Finding:
    measure: str  # "sli", "burn", "appeals": for ids and CSS only
    clause: str
    holds: bool
    words: str
    code: str = ""
    params: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    findings: tuple[Finding, ...]

    @property
    def holds(self) -> bool:
        return all(f.holds for f in self.findings)

    @property
    def state(self) -> str:
        return HOLDS if self.holds else FAILS

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.holds]

    def summary(self) -> str:
        failed = self.failures
        if not failed:
            return "The gate holds: nothing in the trial spaces looks worse than the comparison."
        return "The gate failed: " + " ".join(f.words for f in failed)


def _num(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.1"))
    return format(rounded.normalize() if rounded == rounded.to_integral() else rounded, "f")


def plural_count(value: Decimal) -> int:
    """The number that chooses a plural form: exactly one is singular, 0.5 or 1.5 are not."""
    return 1 if value == 1 else 2


def percent(ratio: Decimal) -> str:
    return f"{_num(ratio * HUNDRED)} %"


def burn_rate(side: Side, target: Decimal) -> Decimal:
    """DESIGN.md §3.1 over the recent window: (B/T)/(1 - target), 0 with no traffic."""
    if side.recent_total == 0:
        return Decimal(0)
    return (Decimal(side.recent_bad) / Decimal(side.recent_total)) / (1 - target)


def judge_sli(sides: ClauseSides, thresholds: Thresholds) -> Finding:
    canary, baseline = sides.canary.sli, sides.baseline.sli
    if sides.canary.total < thresholds.min_events or canary is None:
        return Finding(
            "sli",
            sides.title,
            True,
            english_ngettext(
                "“%(title)s”: %(counted)s of the %(needed)s post needed to compare has been "
                "counted in the trial spaces so far.",
                "“%(title)s”: %(counted)s of the %(needed)s posts needed to compare have been "
                "counted in the trial spaces so far.",
                thresholds.min_events,
            )
            % {
                "title": sides.title,
                "counted": sides.canary.total,
                "needed": thresholds.min_events,
            },
            "sli_few",
            {"title": sides.title, "counted": sides.canary.total, "needed": thresholds.min_events},
        )
    against = baseline if baseline is not None else sides.definition.target
    what = "the rest of the community" if baseline is not None else "the clause target"
    drop = (against - canary) * HUNDRED
    holds = drop <= thresholds.sli_drop_points
    text = (
        f"“{sides.title}”: {percent(canary)} of posts met the norm in the trial spaces, "
        f"against {percent(against)} in {what}"
    )
    if drop > 0:
        points = english_ngettext(", %s point lower", ", %s points lower", plural_count(drop))
        text += points % _num(drop)
    text += "." if holds else f", more than the {_num(thresholds.sli_drop_points)} allowed."
    params: dict[str, str | int] = {
        "title": sides.title,
        "canary": _num(canary * HUNDRED),
        "against": _num(against * HUNDRED),
        "what": "rest" if baseline is not None else "target",
        "drop": _num(drop),
        "drop_count": plural_count(drop),
        "allowed": _num(thresholds.sli_drop_points),
    }
    code = "sli_lower" if drop > 0 else "sli_level"
    return Finding("sli", sides.title, holds, text, code, params)


def judge_burn(sides: ClauseSides, thresholds: Thresholds) -> Finding:
    rate = burn_rate(sides.canary, sides.definition.target)
    enough = sides.canary.recent_bad >= sides.definition.min_bad_events
    holds = not (enough and rate >= thresholds.burn_rate)
    params: dict[str, str | int] = {"title": sides.title}
    if rate == 0:
        text = f"“{sides.title}”: nothing counted against the clause in the last hour."
        return Finding("burn", sides.title, holds, text, "burn_none", params)
    text = (
        f"“{sides.title}”: in the last hour the trial spaces used its room for mistakes "
        f"{_num(rate)} times as fast as the contract allows "
        + english_ngettext(
            "(%(bad)s of %(total)s post counted as bad)",
            "(%(bad)s of %(total)s posts counted as bad)",
            sides.canary.recent_total,
        )
        % {"bad": sides.canary.recent_bad, "total": sides.canary.recent_total}
    )
    text += "." if holds else f", at or over the {_num(thresholds.burn_rate)} the gate allows."
    params |= {
        "rate": _num(rate),
        "bad": sides.canary.recent_bad,
        "total": sides.canary.recent_total,
        "allowed": _num(thresholds.burn_rate),
    }
    return Finding("burn", sides.title, holds, text, "burn", params)


def judge_appeals(canary: Appeals, baseline: Appeals, thresholds: Thresholds) -> Finding:
    share = canary.share
    if canary.charges < MIN_CHARGES or share is None:
        return Finding(
            "appeals",
            "",
            True,
            english_ngettext(
                "Appeals: %(charges)s charge in the trial spaces so far; the gate looks at "
                "appeals from %(from)s.",
                "Appeals: %(charges)s charges in the trial spaces so far; the gate looks at "
                "appeals from %(from)s.",
                canary.charges,
            )
            % {"charges": canary.charges, "from": MIN_CHARGES},
            "appeals_few",
            {"charges": canary.charges, "from": MIN_CHARGES},
        )
    limit = thresholds.overturned_percent / HUNDRED
    elsewhere = baseline.share or Decimal(0)
    holds = not (share > limit and share > elsewhere)
    text = english_ngettext(
        "Appeals: %(overturned)s of %(charges)s charge in the trial spaces was overturned "
        "(%(share)s, against %(elsewhere)s in the comparison)",
        "Appeals: %(overturned)s of %(charges)s charges in the trial spaces were overturned "
        "(%(share)s, against %(elsewhere)s in the comparison)",
        canary.charges,
    ) % {
        "overturned": canary.overturned,
        "charges": canary.charges,
        "share": percent(share),
        "elsewhere": percent(elsewhere),
    }
    text += "." if holds else f", over the {_num(thresholds.overturned_percent)} % allowed."
    params: dict[str, str | int] = {
        "overturned": canary.overturned,
        "charges": canary.charges,
        "share": _num(share * HUNDRED),
        "elsewhere": _num(elsewhere * HUNDRED),
        "allowed": _num(thresholds.overturned_percent),
    }
    return Finding("appeals", "", holds, text, "appeals", params)


def judge_gate(
    *,
    clauses: Sequence[ClauseSides],
    canary_appeals: Appeals,
    baseline_appeals: Appeals,
    thresholds: Thresholds,
) -> Verdict:
    findings: list[Finding] = []
    for sides in clauses:
        findings.append(judge_sli(sides, thresholds))
        findings.append(judge_burn(sides, thresholds))
    findings.append(judge_appeals(canary_appeals, baseline_appeals, thresholds))
    return Verdict(tuple(findings))


def worse_after(before: Decimal | None, after: Decimal | None, *, points: Decimal) -> bool:
    """Release health: a clause got worse after a change when its SLI over the days after is
    more than ``points`` percentage points below the days before."""
    if before is None or after is None:
        return False
    return (before - after) * HUNDRED > points


def facilitator_index(*, delegates: int, days_since_start: int, rotation_days: int) -> int:
    """Which delegate (in council order) facilitates now: the role passes to the next one every
    ``rotation_days`` days. -1 with no delegates."""
    if delegates <= 0:
        return -1
    return (days_since_start // max(rotation_days, 1)) % delegates
