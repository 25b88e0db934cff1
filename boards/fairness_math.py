"""Fairness across member cohorts (DESIGN.md §3.6): the statistics, free of Django.

A cohort's counts come in (members, posts, active charges, members in warning or worse, decided
appeals and how many of them reversed the charge); figures and disparities against the
reference cohort come out. Every figure of a cohort with fewer than ``MIN_MEMBERS`` members is
suppressed (``None``) so no individual can be singled out, and nothing is ever compared with a
suppressed reference.

The intervals are the textbook ones the design names:

* charges per post, the **Poisson rate ratio** ``RR = (c1/p1) / (c0/p0)`` with the 95 % interval
  ``exp(ln RR ± 1.96 * sqrt(1/c1 + 1/c0))``; undefined (``None``, never flagged) when any of
  ``c1, c0, p1, p0`` is 0;
* shares, the **ratio of proportions** with the Katz log interval
  ``exp(ln R ± 1.96 * sqrt((1-q1)/x1 + (1-q0)/x0))``, where ``x`` is the number of members (or
  charges) counted in the share and ``q`` the share; undefined when a share is 0.

A cohort is **flagged** when the interval of its rate ratio excludes 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIN_MEMBERS = 5
Z_95 = 1.96


@dataclass(frozen=True)
class Interval:
    """A ratio with its 95 % interval."""

    ratio: float
    low: float
    high: float

    @property
    def excludes_one(self) -> bool:
        return self.low > 1 or self.high < 1


def rate_ratio(*, c1: int, p1: int, c0: int, p0: int) -> Interval | None:
    """Charges per post of a cohort (c1 over p1) against the reference (c0 over p0)."""
    if min(c1, p1, c0, p0) <= 0:
        return None
    ratio = (c1 / p1) / (c0 / p0)
    spread = Z_95 * math.sqrt(1 / c1 + 1 / c0)
    return Interval(ratio, math.exp(math.log(ratio) - spread), math.exp(math.log(ratio) + spread))


def share_ratio(*, x1: int, n1: int, x0: int, n0: int) -> Interval | None:
    """Share ``x1/n1`` of a cohort against ``x0/n0`` of the reference (Katz)."""
    if min(x1, n1, x0, n0) <= 0:
        return None
    q1, q0 = x1 / n1, x0 / n0
    ratio = q1 / q0
    spread = Z_95 * math.sqrt((1 - q1) / x1 + (1 - q0) / x0)
    return Interval(ratio, math.exp(math.log(ratio) - spread), math.exp(math.log(ratio) + spread))


@dataclass(frozen=True)
class CohortCounts:
    """What the database counted for one cohort over the window."""

    name: str
    members: int
    posts: int
    charges: int
    warning_or_worse: int = 0
    appealed: int = 0
    overturned: int = 0


@dataclass(frozen=True)
class CohortFigures:
    """One cohort's row on the board and in the API; every figure ``None`` when suppressed."""

    name: str
    suppressed: bool
    members: int | None
    posts: int | None
    charges: int | None
    charges_per_100_posts: float | None
    share_warning_or_worse: float | None
    overturned_share: float | None
    rate: Interval | None
    warning_share: Interval | None
    is_reference: bool

    @property
    def flagged(self) -> bool:
        return self.rate is not None and self.rate.excludes_one


@dataclass(frozen=True)
class FairnessTable:
    reference: str
    cohorts: tuple[CohortFigures, ...]

    @property
    def too_small(self) -> bool:
        """No cohort has a figure to show: the community is too small to say anything."""
        return all(c.suppressed for c in self.cohorts)

    @property
    def flagged(self) -> tuple[CohortFigures, ...]:
        return tuple(c for c in self.cohorts if c.flagged)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def cohort_figures(
    counts: CohortCounts, reference: CohortCounts | None, *, is_reference: bool
) -> CohortFigures:
    if counts.members < MIN_MEMBERS:
        return CohortFigures(
            counts.name, True, None, None, None, None, None, None, None, None, is_reference
        )
    compare = reference is not None and reference.members >= MIN_MEMBERS and not is_reference
    rate = warning = None
    if compare and reference is not None:
        rate = rate_ratio(
            c1=counts.charges, p1=counts.posts, c0=reference.charges, p0=reference.posts
        )
        warning = share_ratio(
            x1=counts.warning_or_worse,
            n1=counts.members,
            x0=reference.warning_or_worse,
            n0=reference.members,
        )
    return CohortFigures(
        name=counts.name,
        suppressed=False,
        members=counts.members,
        posts=counts.posts,
        charges=counts.charges,
        charges_per_100_posts=(100 * counts.charges / counts.posts) if counts.posts else None,
        share_warning_or_worse=_share(counts.warning_or_worse, counts.members),
        overturned_share=_share(counts.overturned, counts.appealed),
        rate=rate,
        warning_share=warning,
        is_reference=is_reference,
    )


def compare_cohorts(cohorts: Sequence[CohortCounts], *, reference: str) -> FairnessTable:
    """Every cohort's figures against the one named ``reference`` (kept in the given order)."""
    ref = next((c for c in cohorts if c.name == reference), None)
    return FairnessTable(
        reference=reference,
        cohorts=tuple(cohort_figures(c, ref, is_reference=c.name == reference) for c in cohorts),
    )


def most_common(cohorts: Sequence[CohortCounts]) -> str | None:
    """The cohort with the most members (ties: the first given), the reference for trust levels."""
    best: CohortCounts | None = None
    for cohort in cohorts:
        if cohort.members and (best is None or cohort.members > best.members):
            best = cohort
    return None if best is None else best.name
