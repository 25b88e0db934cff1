"""DESIGN.md §3.6 by hand: each expected figure below was worked out on paper (shown beside it),
not by calling the code under test."""

from __future__ import annotations

import pytest

from boards.fairness_math import (
    CohortCounts,
    compare_cohorts,
    most_common,
    rate_ratio,
    share_ratio,
)


def test_rate_ratio_with_its_log_interval() -> None:
    # 30 charges in 1000 posts against 20 in 2000: RR = 0.03 / 0.01 = 3.
    # se = sqrt(1/30 + 1/20) = sqrt(0.083333) = 0.288675; 1.96 * se = 0.565803.
    # exp(ln 3 - 0.565803) = exp(0.532809) = 1.7037; exp(1.664415) = 5.2827.
    found = rate_ratio(c1=30, p1=1000, c0=20, p0=2000)
    assert found is not None
    assert found.ratio == pytest.approx(3.0)
    assert found.low == pytest.approx(1.7037, abs=5e-4)
    assert found.high == pytest.approx(5.2827, abs=5e-4)
    assert found.excludes_one


def test_an_interval_that_crosses_one_is_not_flagged() -> None:
    # 3 in 100 against 20 in 1000: RR = 1.5; se = sqrt(1/3 + 1/20) = 0.619139; 1.96 se = 1.213513.
    # exp(0.405465 - 1.213513) = 0.4457; exp(0.405465 + 1.213513) = 5.0480.
    found = rate_ratio(c1=3, p1=100, c0=20, p0=1000)
    assert found is not None
    assert (round(found.low, 3), round(found.high, 3)) == (0.446, 5.048)
    assert not found.excludes_one


def test_katz_interval_for_a_ratio_of_shares() -> None:
    # 6 of 10 against 10 of 50: R = 0.6 / 0.2 = 3; se = sqrt(0.4/6 + 0.8/10) = 0.382971;
    # 1.96 se = 0.750623; exp(1.098612 - 0.750623) = 1.4162; exp(1.849235) = 6.3551.
    found = share_ratio(x1=6, n1=10, x0=10, n0=50)
    assert found is not None
    assert found.ratio == pytest.approx(3.0)
    assert found.low == pytest.approx(1.4162, abs=5e-4)
    assert found.high == pytest.approx(6.3551, abs=5e-4)


@pytest.mark.parametrize(
    ("c1", "p1", "c0", "p0"), [(0, 100, 5, 100), (5, 0, 5, 100), (5, 100, 0, 100), (5, 100, 5, 0)]
)
def test_a_rate_ratio_with_any_zero_is_undefined(c1: int, p1: int, c0: int, p0: int) -> None:
    assert rate_ratio(c1=c1, p1=p1, c0=c0, p0=p0) is None


def test_a_share_ratio_with_a_zero_share_is_undefined() -> None:
    assert share_ratio(x1=0, n1=10, x0=3, n0=10) is None
    assert share_ratio(x1=3, n1=10, x0=0, n0=10) is None


def _cohorts(newcomers: int = 10, regulars: int = 40) -> list[CohortCounts]:
    return [
        CohortCounts(
            "newcomers", newcomers, 1000, 30, warning_or_worse=6, appealed=4, overturned=1
        ),
        CohortCounts("regulars", regulars, 2000, 20, warning_or_worse=4, appealed=5, overturned=0),
        CohortCounts("long_standing", 4, 900, 1),
    ]


def test_cohort_figures_against_the_reference() -> None:
    table = compare_cohorts(_cohorts(), reference="regulars")
    newcomers, regulars, _ = table.cohorts
    assert newcomers.charges_per_100_posts == pytest.approx(3.0)  # 100 * 30 / 1000
    assert newcomers.share_warning_or_worse == pytest.approx(0.6)  # 6 of 10
    assert newcomers.overturned_share == pytest.approx(0.25)  # 1 of 4 decided appeals
    assert newcomers.rate is not None and newcomers.rate.ratio == pytest.approx(3.0)
    assert newcomers.flagged
    assert regulars.is_reference and regulars.rate is None and not regulars.flagged
    assert regulars.overturned_share == 0
    assert table.flagged == (newcomers,)
    assert not table.too_small


def test_a_cohort_under_five_members_shows_no_figure_at_all() -> None:
    long_standing = compare_cohorts(_cohorts(), reference="regulars").cohorts[2]
    assert long_standing.suppressed
    figures = (
        long_standing.members,
        long_standing.posts,
        long_standing.charges,
        long_standing.charges_per_100_posts,
        long_standing.share_warning_or_worse,
        long_standing.overturned_share,
        long_standing.rate,
    )
    assert figures == (None,) * 7
    assert not long_standing.flagged


def test_nothing_is_compared_with_a_suppressed_reference() -> None:
    newcomers = compare_cohorts(_cohorts(regulars=4), reference="regulars").cohorts[0]
    assert not newcomers.suppressed
    assert newcomers.rate is None and not newcomers.flagged


def test_a_community_too_small_for_any_figure_says_so() -> None:
    table = compare_cohorts(
        [CohortCounts("newcomers", 2, 10, 1), CohortCounts("regulars", 4, 30, 0)],
        reference="regulars",
    )
    assert table.too_small


def test_the_most_common_trust_level_is_the_reference() -> None:
    levels = [CohortCounts("trust_level_0", 8, 0, 0), CohortCounts("trust_level_1", 20, 0, 0)]
    assert most_common(levels) == "trust_level_1"
    assert most_common([CohortCounts("trust_level_2", 0, 0, 0)]) is None
