"""The policy replay over the whole period (budgets.policy_period), on a worked example.

A fixed allowance of 10 points (a 30-day window, no member target), a period of ten days:

====================  ===========  ====  =============  ====
moment                live costs   tier  draft costs    tier
====================  ===========  ====  =============  ====
start (day 0)         nothing      H     nothing        H
day 1: A recorded     A 3: 7 left  H     A 6: 4 left    W
day 2: B recorded     +B 4: 3 left W     +B 5: -1 left  E
day 5: B forgiven     (no moment)        (no moment)
day 8: C recorded     +C 3: 4 left W     +C 1: 3 left   W
end (day 10)          4 left       W     3 left         W
====================  ===========  ====  =============  ====

C happened on day 3 but was recorded on day 8 (imported): on day 4 it does not count yet.
Live: worst warning, entered warning. Draft: worst exhausted, entered warning then exhausted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from budgets.budget_math import ChargeFact, Policy
from budgets.policy_period import KnownCharge, moments, tier_at, tier_path
from community.tiers import Tier

START = datetime(2026, 11, 1, tzinfo=UTC)
END = START + timedelta(days=10)
POLICY = Policy(window_days=30, member_target=None, floor_points=Decimal(10))


def _day(n: int) -> datetime:
    return START + timedelta(days=n)


def _charges(a: str, b: str, c: str) -> list[KnownCharge]:
    return [
        KnownCharge(ChargeFact(Decimal(a), _day(1)), _day(1)),
        KnownCharge(ChargeFact(Decimal(b), _day(2), released_at=_day(5)), _day(2)),
        KnownCharge(ChargeFact(Decimal(c), _day(3)), _day(8)),
    ]


LIVE = _charges("3", "4", "3")
DRAFT = _charges("6", "5", "1")


def test_the_moments_are_the_charges_recorded_in_the_period_and_its_end() -> None:
    before = KnownCharge(ChargeFact(Decimal(1), START - timedelta(days=1)), START)
    assert moments(START, END, [before, *LIVE]) == [_day(1), _day(2), _day(8), END]


def test_each_moment_counts_only_what_was_recorded_by_then() -> None:
    # Day 4: A and B (B is forgiven only on day 5) but not C, recorded on day 8.
    assert tier_at(POLICY, _day(4), [], LIVE) == Tier.WARNING  # 3 of 10 left
    assert tier_at(POLICY, _day(6), [], LIVE) == Tier.HEALTHY  # B forgiven: 7 left
    assert tier_at(POLICY, _day(8), [], LIVE) == Tier.WARNING  # C counts: 4 left


def test_the_live_side_of_the_worked_example() -> None:
    path = tier_path(POLICY, START, END, activity=[], charges=LIVE)
    assert (path.start, path.worst, path.entered) == (Tier.HEALTHY, Tier.WARNING, (Tier.WARNING,))


def test_the_draft_side_of_the_worked_example_is_worse_over_the_period_than_at_its_end() -> None:
    path = tier_path(POLICY, START, END, activity=[], charges=DRAFT)
    assert path.start == Tier.HEALTHY
    assert path.worst == Tier.EXHAUSTED
    assert path.entered == (Tier.WARNING, Tier.EXHAUSTED)
    assert tier_at(POLICY, END, [], DRAFT) == Tier.WARNING  # the end alone shows warning


def test_activity_counts_from_when_it_was_recorded() -> None:
    # A 2 % target: 250 posts earn 5 points, above a floor of 2. Recorded only on day 9
    # (imported), the posts of day 0 earn nothing before then.
    policy = Policy(window_days=30, member_target=Decimal("0.98"), floor_points=Decimal(2))
    posts = [(START + timedelta(minutes=n), _day(9)) for n in range(250)]
    charge = [KnownCharge(ChargeFact(Decimal("1.5"), _day(1)), _day(1))]
    assert tier_at(policy, _day(1), posts, charge) == Tier.WARNING  # 0.5 of 2 left
    path = tier_path(policy, START, END, activity=posts, charges=charge)
    assert (path.worst, path.entered) == (Tier.WARNING, (Tier.WARNING, Tier.HEALTHY))
