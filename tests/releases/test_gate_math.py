"""The canary gate's pure math, with the worked example of its module docstring."""

from __future__ import annotations

from decimal import Decimal

from community.contract.releases.gate import (
    Appeals,
    ClauseSides,
    Side,
    Thresholds,
    burn_rate,
    facilitator_index,
    judge_gate,
    worse_after,
)
from tests.contract.helpers import HOSTILITY


def sides(canary: Side, baseline: Side) -> ClauseSides:
    return ClauseSides(HOSTILITY.title, HOSTILITY, canary, baseline)


def test_the_worked_example_fails_on_all_three_measures() -> None:
    verdict = judge_gate(
        clauses=[sides(Side(400, 20, 60, 9), Side(2000, 30))],
        canary_appeals=Appeals(8, 3),
        baseline_appeals=Appeals(10, 1),
        thresholds=Thresholds(),
    )
    assert not verdict.holds
    assert [f.measure for f in verdict.failures] == ["sli", "burn", "appeals"]
    assert "3.5 points lower" in verdict.failures[0].words
    assert "7.5 times as fast" in verdict.failures[1].words
    assert burn_rate(Side(400, 20, 60, 9), Decimal("0.98")) == Decimal("7.5")


def test_a_quiet_trial_holds_and_says_how_many_posts_it_still_needs() -> None:
    verdict = judge_gate(
        clauses=[sides(Side(5, 1, 5, 1), Side(2000, 30))],
        canary_appeals=Appeals(1, 1),
        baseline_appeals=Appeals(0, 0),
        thresholds=Thresholds(),
    )
    assert verdict.holds
    assert "5 of the 20 posts needed" in verdict.findings[0].words


def test_a_burst_below_the_volume_guard_does_not_fail() -> None:
    # 2 bad of 4 is a burn of 25, but under the clause's 3 bad events.
    verdict = judge_gate(
        clauses=[sides(Side(100, 2, 4, 2), Side(100, 2))],
        canary_appeals=Appeals(0, 0),
        baseline_appeals=Appeals(0, 0),
        thresholds=Thresholds(),
    )
    assert verdict.holds


def test_a_drop_within_the_allowance_holds() -> None:
    verdict = judge_gate(
        clauses=[sides(Side(1000, 15), Side(1000, 10))],
        canary_appeals=Appeals(0, 0),
        baseline_appeals=Appeals(0, 0),
        thresholds=Thresholds(),
    )
    assert verdict.holds and "0.5 points lower" in verdict.findings[0].words


def test_worse_after_and_the_facilitator_rotation() -> None:
    assert worse_after(Decimal("0.99"), Decimal("0.98"), points=Decimal("0.5"))
    assert not worse_after(Decimal("0.99"), Decimal("0.988"), points=Decimal("0.5"))
    assert not worse_after(None, Decimal("0.5"), points=Decimal("0.5"))
    assert [
        facilitator_index(delegates=3, days_since_start=d, rotation_days=7) for d in (0, 7, 14, 21)
    ] == [0, 1, 2, 0]
    assert facilitator_index(delegates=0, days_since_start=3, rotation_days=7) == -1


def test_findings_about_one_charge_one_post_or_one_point_are_singular() -> None:
    quiet = judge_gate(
        clauses=[sides(Side(0, 0), Side(100, 1))],
        canary_appeals=Appeals(1, 0),
        baseline_appeals=Appeals(0, 0),
        thresholds=Thresholds(min_events=1),
    )
    words = [f.words for f in quiet.findings]
    assert "0 of the 1 post needed to compare has been counted" in words[0]
    assert words[2].startswith("Appeals: 1 charge in the trial spaces so far;")
    assert not any(" 1 charges" in w or " 1 posts" in w for w in words)

    dropped = judge_gate(
        clauses=[sides(Side(100, 3, 1, 1), Side(100, 2))],
        canary_appeals=Appeals(1, 1),
        baseline_appeals=Appeals(0, 0),
        thresholds=Thresholds(sli_drop_points=Decimal("2")),
    )
    sli, burn, _appeals = (f.words for f in dropped.findings)
    assert ", 1 point lower." in sli
    assert "(1 of 1 post counted as bad)" in burn


def appeal_words(appeals: Appeals) -> str:
    """The gate's finding about the trial spaces' appeals, every clause quiet."""
    verdict = judge_gate(
        clauses=[sides(Side(100, 1), Side(100, 1))],
        canary_appeals=appeals,
        baseline_appeals=Appeals(0, 0),
        thresholds=Thresholds(),
    )
    return verdict.findings[-1].words


def test_findings_about_several_charges_are_plural() -> None:
    assert "2 of 4 charges in the trial spaces were overturned" in appeal_words(Appeals(4, 2))
    assert "1 charge in the trial spaces so far" in appeal_words(Appeals(1, 0))
