"""The framework-free incident math: lifecycle, calm, metrics, the 20 % cost rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from incidents import rules
from incidents.rules import ClauseShare, WindowCount
from incidents.words import duration


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("declared", "mitigating"),
        ("declared", "resolved"),
        ("mitigating", "monitoring"),
        ("monitoring", "mitigating"),
        ("monitoring", "resolved"),
        ("resolved", "closed"),
    ],
)
def test_allowed_transitions_pass(current: str, target: str) -> None:
    assert rules.transition_error(current, target) is None


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("declared", "monitoring"),
        ("declared", "closed"),
        ("mitigating", "declared"),
        ("resolved", "mitigating"),
        ("closed", "declared"),
        ("resolved", "resolved"),
        ("declared", "nonsense"),
    ],
)
def test_out_of_order_transitions_are_refused_with_a_message(current: str, target: str) -> None:
    message = rules.transition_error(current, target)
    assert message
    assert current in message or "Unknown" in message


def test_calm_burn_rates_match_the_design_worked_example() -> None:
    # 45 bad of 150 posts over an hour, 5 of 14 in five minutes, target 0.98 (DESIGN §3.1).
    verdict = rules.is_calm(
        WindowCount(Decimal(1), bad=45, total=150),
        WindowCount(Decimal("0.083"), bad=5, total=14),
        target="0.98",
        threshold="14.4",
    )
    assert verdict.burn_long == Decimal("15")
    assert verdict.burn_short.quantize(Decimal("0.1")) == Decimal("17.9")
    assert not verdict.calm


def test_a_hot_hour_is_not_calm_even_if_the_last_five_minutes_were_quiet() -> None:
    verdict = rules.is_calm(
        WindowCount(Decimal(1), bad=45, total=150),
        WindowCount(Decimal("0.083"), bad=0, total=10),
        target="0.98",
        threshold="1",
    )
    assert not verdict.calm
    assert verdict.burn_short == 0
    assert "not calm" in verdict.explain()


def test_calm_needs_both_windows_strictly_under_the_threshold() -> None:
    # 2 bad of 100 at target 0.98 burns at exactly 1: not under 1.
    at_limit = rules.is_calm(
        WindowCount(Decimal(1), 2, 100),
        WindowCount(Decimal("0.083"), 0, 5),
        target="0.98",
        threshold="1",
    )
    assert at_limit.burn_long == Decimal(1)
    assert not at_limit.calm
    quiet = rules.is_calm(
        WindowCount(Decimal(1), 1, 100),
        WindowCount(Decimal("0.083"), 0, 0),
        target="0.98",
        threshold="1",
    )
    assert quiet.calm


def test_a_window_without_events_burns_nothing() -> None:
    empty = WindowCount(Decimal(1), bad=0, total=0)
    verdict = rules.is_calm(empty, empty, target="0.98", threshold="1")
    assert (verdict.burn_long, verdict.burn_short, verdict.calm) == (0, 0, True)


def test_a_float_target_is_refused() -> None:
    empty = WindowCount(Decimal(1), bad=0, total=0)
    with pytest.raises(TypeError):
        rules.is_calm(empty, empty, target=0.98, threshold="1")  # type: ignore[arg-type]


@pytest.mark.parametrize("target", ["0", "1", "98"])
def test_a_target_outside_zero_and_one_is_refused(target: str) -> None:
    empty = WindowCount(Decimal(1), bad=0, total=0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        rules.is_calm(empty, empty, target=target, threshold="1")


def test_median_of_response_times_ignores_unknowns() -> None:
    m = timedelta(minutes=1)
    assert rules.median([3 * m, None, m, 2 * m]) == 2 * m
    assert rules.median([m, 3 * m]) == 2 * m
    assert rules.median([None]) is None


def test_elapsed_durations_and_their_words() -> None:
    start = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    assert rules.elapsed(start, start + timedelta(minutes=95)) == timedelta(minutes=95)
    assert rules.elapsed(start, None) is None
    with translation.override("en"):
        assert duration(timedelta(minutes=95)) == "1 h 35 min"
        assert duration(timedelta(days=2, hours=3)) == "2 d 3 h"
        assert duration(timedelta(seconds=20)) == "under a minute"
        assert duration(None) == "—"


def test_more_than_twenty_percent_of_a_clause_budget_requires_a_postmortem() -> None:
    exactly = ClauseShare(clause_id=1, title="Kind", share=rules.budget_share(20, Decimal(100)))
    above = ClauseShare(clause_id=2, title="On topic", share=rules.budget_share(21, Decimal(100)))
    assert exactly.share == Decimal("0.2")
    assert not rules.postmortem_required([exactly])
    assert rules.postmortem_required([exactly, above])
    assert not rules.postmortem_required([])


def test_a_clause_with_no_allowance_is_fully_consumed_by_any_bad_event() -> None:
    assert rules.budget_share(1, Decimal(0)) == 1
    assert rules.budget_share(0, Decimal(0)) == 0
