"""The fairness board's readings: one whole sentence per cohort, in the reader's language
(English here; the Korean pages test reads them in Korean)."""

from __future__ import annotations

import pytest

from boards.fairness_math import CohortCounts, compare_cohorts
from boards.readings import comparison, reading


def _cohorts() -> list[CohortCounts]:
    return [
        CohortCounts("newcomers", 10, 1000, 30, warning_or_worse=6, appealed=4, overturned=1),
        CohortCounts("regulars", 40, 2000, 20, warning_or_worse=4, appealed=5, overturned=0),
        CohortCounts("long_standing", 4, 900, 1),
    ]


def test_the_reading_of_a_flagged_cohort() -> None:
    newcomers = compare_cohorts(_cohorts(), reference="regulars").cohorts[0]
    assert reading("new members", "regulars", newcomers) == (
        "New members are charged about 3 times as often per post as regulars; "
        "this is unlikely to be chance."
    )


def test_readings_of_the_other_cases() -> None:
    table = compare_cohorts(_cohorts(), reference="regulars")
    assert reading("long-standing members", "regulars", table.cohorts[2]) == (
        "Fewer than 5 long-standing members were active, so their figures are not shown."
    )
    assert reading("regulars", "regulars", table.cohorts[1]) == (
        "Regulars are the group the others are compared with."
    )
    unclear = compare_cohorts(
        [CohortCounts("newcomers", 5, 100, 3), CohortCounts("regulars", 9, 1000, 20)],
        reference="regulars",
    ).cohorts[0]
    assert reading("new members", "regulars", unclear) == (
        "New members are charged about 50 % more often per post than regulars; "
        "this could be chance."
    )


@pytest.mark.parametrize(
    ("ratio", "said"),
    [
        (3.1, "about 3 times as often per post as"),
        (2.5, "about 2.5 times as often per post as"),
        (12.4, "about 12 times as often per post as"),
        (1.4, "about 40 % more often per post than"),
        (1.0, "about as often per post as"),
        (0.5, "about half as often per post as"),
        (0.2, "about 80 % less often per post than"),
    ],
)
def test_ratios_in_words(ratio: float, said: str) -> None:
    assert comparison("new members", "regulars", ratio) == (
        f"New members are charged {said} regulars"
    )
