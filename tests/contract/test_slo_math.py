"""Clause SLO math (DESIGN.md §3.1): the worked examples, the edges and the invariants."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.contract.slo import (
    DEFAULT_ALERT_RULES,
    AlertRule,
    Counts,
    Severity,
    allowed_bad,
    budget_remaining,
    burn_rate,
    clause_status,
    decide_alerts,
    definition_errors,
    parse_window,
    sli,
    window_label,
)
from community.tiers import Tier

TARGET = Decimal("0.98")


def test_the_worked_example_is_a_warning_burning_at_six_tenths() -> None:
    status = clause_status(
        target=TARGET, window=Counts(5000, 60), burn_windows={43200: Counts(5000, 60)}
    )
    assert status.sli == Decimal("0.988")
    assert status.allowed_bad == 100
    assert status.budget_remaining == Decimal("0.40")
    assert status.tier is Tier.WARNING
    assert status.burn_rates == {"30d": Decimal("0.6")}


def test_the_flame_war_hour_fires_the_fast_page() -> None:
    counts = {60: Counts(150, 45), 5: Counts(14, 5), 360: Counts(150, 45), 30: Counts(20, 5)}
    decisions = {
        d.rule.name: d
        for d in decide_alerts(
            target=TARGET, window_days=30, rules=DEFAULT_ALERT_RULES, counts=counts
        )
    }
    fast = decisions["page_fast"]
    assert fast.burn_rate_long == Decimal(15)
    assert round(fast.burn_rate_short, 1) == Decimal("17.9")
    assert fast.threshold == Decimal("14.4")
    assert fast.firing
    assert (fast.bad_long, fast.total_long) == (45, 150)


def test_default_thresholds_scale_with_the_window() -> None:
    thresholds = [rule.threshold(30) for rule in DEFAULT_ALERT_RULES]
    assert thresholds == [Decimal("14.4"), Decimal(6), Decimal(1)]
    # A 7-day clause burning 2 % of its budget in an hour: 0.02 * 168 / 1.
    assert DEFAULT_ALERT_RULES[0].threshold(7) == Decimal("3.36")


def test_one_flag_in_a_quiet_hour_is_not_a_page() -> None:
    counts = {60: Counts(3, 1), 5: Counts(1, 1)}
    (fast,) = decide_alerts(
        target=TARGET, window_days=30, rules=DEFAULT_ALERT_RULES[:1], counts=counts
    )
    assert fast.burn_rate_long > fast.threshold  # burning fast, but on too little volume
    assert not fast.firing


def test_the_volume_guard_is_configurable() -> None:
    counts = {60: Counts(3, 1), 5: Counts(1, 1)}
    (fast,) = decide_alerts(
        target=TARGET,
        window_days=30,
        rules=DEFAULT_ALERT_RULES[:1],
        counts=counts,
        min_bad_events=1,
    )
    assert fast.firing


def test_a_calm_short_window_holds_the_alert_back() -> None:
    counts = {60: Counts(150, 45), 5: Counts(14, 0)}
    (fast,) = decide_alerts(
        target=TARGET, window_days=30, rules=DEFAULT_ALERT_RULES[:1], counts=counts
    )
    assert not fast.firing


def test_burning_exactly_at_the_threshold_fires() -> None:
    # 0.288 of posts bad at target 0.98 is a burn of exactly 14.4.
    counts = {60: Counts(1000, 288), 5: Counts(1000, 288)}
    (fast,) = decide_alerts(
        target=TARGET, window_days=30, rules=DEFAULT_ALERT_RULES[:1], counts=counts
    )
    assert fast.burn_rate_long == Decimal("14.4") and fast.firing


def test_no_traffic_is_no_data_and_healthy() -> None:
    status = clause_status(target=TARGET, window=Counts(0, 0), burn_windows={60: Counts(0, 0)})
    assert status.sli is None and not status.has_data
    assert status.budget_remaining == 1
    assert status.tier is Tier.HEALTHY
    assert status.burn_rates == {"1h": 0}


def test_all_bad_is_exhausted() -> None:
    status = clause_status(target=TARGET, window=Counts(200, 200), burn_windows={})
    assert status.sli == 0
    assert status.budget_remaining == -49
    assert status.tier is Tier.EXHAUSTED
    assert burn_rate(TARGET, 200, 200) == 50


def test_exactly_the_allowed_bad_events_is_exhausted() -> None:
    assert budget_remaining(TARGET, 5000, 100) == 0
    assert (
        clause_status(target=TARGET, window=Counts(5000, 100), burn_windows={}).tier
        is Tier.EXHAUSTED
    )


def test_half_the_budget_left_is_a_warning_not_healthy() -> None:
    # (1 - 0.95) * 200 = 10 exactly, so 5 bad leaves exactly 0.5.
    assert allowed_bad(Decimal("0.95"), 200) == 10
    status = clause_status(target=Decimal("0.95"), window=Counts(200, 5), burn_windows={})
    assert status.budget_remaining == Decimal("0.5")
    assert status.tier is Tier.WARNING


def test_a_target_near_one_has_a_tiny_budget() -> None:
    target = Decimal("0.9999")
    assert allowed_bad(target, 10000) == 1
    assert budget_remaining(target, 10000, 1) == 0
    assert budget_remaining(target, 10000, 0) == 1
    assert burn_rate(target, 100, 1) == 100


@pytest.mark.parametrize(
    ("minutes", "label"), [(5, "5m"), (60, "1h"), (360, "6h"), (4320, "3d"), (90, "90m")]
)
def test_windows_have_short_stable_names(minutes: int, label: str) -> None:
    assert window_label(minutes) == label
    assert parse_window(label) == minutes


@pytest.mark.parametrize("text", ["", "5", "h", "-5m", "0m", "5s", "1.5h"])
def test_a_bad_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_window(text)


def _errors(**overrides: object) -> dict[str, str]:
    fields: dict[str, object] = {
        "target": TARGET,
        "window_days": 30,
        "rules": DEFAULT_ALERT_RULES,
        "min_bad_events": 3,
        "total_kinds": ["post"],
        "bad_kinds": ["flag_upheld"],
    }
    fields.update(overrides)
    return dict(definition_errors(**fields))  # type: ignore[arg-type]


def test_the_default_definition_is_valid() -> None:
    assert _errors() == {}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"target": Decimal(1)}, "target"),
        ({"target": Decimal(0)}, "target"),
        ({"target": Decimal("1.5")}, "target"),
        ({"window_days": 0}, "window_days"),
        ({"min_bad_events": 0}, "min_bad_events"),
        ({"total_kinds": []}, "total_kinds"),
        ({"bad_kinds": []}, "bad_kinds"),
        (
            {"rules": [AlertRule("x", Severity.PAGE, Decimal(2), 60, 60)]},
            "alert_rules[0].short_minutes",
        ),
        (
            {"rules": [AlertRule("x", Severity.PAGE, Decimal(2), 60, 90)]},
            "alert_rules[0].short_minutes",
        ),
        (
            {"rules": [AlertRule("x", Severity.PAGE, Decimal(0), 60, 5)]},
            "alert_rules[0].budget_percent",
        ),
        ({"window_days": 1, "rules": DEFAULT_ALERT_RULES}, "alert_rules[2].long_minutes"),
        ({"rules": [DEFAULT_ALERT_RULES[0], DEFAULT_ALERT_RULES[0]]}, "alert_rules[1].name"),
    ],
)
def test_invalid_definitions_name_the_field(overrides: dict[str, object], field: str) -> None:
    errors = _errors(**overrides)
    assert field in errors
    assert errors[field]


def test_rules_survive_a_round_trip_through_plain_data() -> None:
    for rule in DEFAULT_ALERT_RULES:
        assert AlertRule.from_dict(rule.as_dict()) == rule


# --- Invariants -----------------------------------------------------------------------------

targets = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("0.9999"), places=4)


@st.composite
def window_counts(draw: st.DrawFn) -> tuple[int, int]:
    total = draw(st.integers(min_value=0, max_value=100_000))
    bad = draw(st.integers(min_value=0, max_value=total))
    return total, bad


@given(targets, window_counts())
def test_sli_is_a_ratio_and_budget_never_exceeds_one(
    target: Decimal, counts: tuple[int, int]
) -> None:
    total, bad = counts
    value = sli(total, bad)
    assert value is None if total == 0 else Decimal(0) <= value <= 1
    assert budget_remaining(target, total, bad) <= 1
    assert burn_rate(target, total, bad) >= 0


@given(targets, window_counts())
def test_the_budget_and_the_burn_over_the_whole_window_agree(
    target: Decimal, counts: tuple[int, int]
) -> None:
    # Spending the budget at burn 1 for the whole window leaves exactly nothing.
    total, bad = counts
    if total:
        gap = budget_remaining(target, total, bad) - (1 - burn_rate(target, total, bad))
        assert abs(gap) < Decimal("1e-20")


@given(
    targets, st.integers(min_value=1, max_value=10_000), st.integers(min_value=0, max_value=9_999)
)
def test_one_more_bad_event_never_improves_anything(target: Decimal, total: int, bad: int) -> None:
    bad = min(bad, total - 1)
    before = clause_status(target=target, window=Counts(total, bad), burn_windows={})
    after = clause_status(target=target, window=Counts(total, bad + 1), burn_windows={})
    assert after.budget_remaining < before.budget_remaining
    assert after.tier.rank >= before.tier.rank
    assert after.sli is not None and before.sli is not None and after.sli < before.sli


@given(
    targets,
    st.integers(min_value=0, max_value=2000),
    st.integers(min_value=0, max_value=2000),
    st.integers(min_value=1, max_value=10),
)
def test_an_alert_never_fires_below_the_volume_guard_or_on_one_window(
    target: Decimal, long_bad: int, short_bad: int, guard: int
) -> None:
    counts = {60: Counts(2000, long_bad), 5: Counts(2000, short_bad)}
    (decision,) = decide_alerts(
        target=target,
        window_days=30,
        rules=DEFAULT_ALERT_RULES[:1],
        counts=counts,
        min_bad_events=guard,
    )
    if decision.firing:
        assert long_bad >= guard
        assert decision.burn_rate_long >= decision.threshold
        assert decision.burn_rate_short >= decision.threshold
    else:
        assert (
            long_bad < guard
            or decision.burn_rate_long < decision.threshold
            or decision.burn_rate_short < decision.threshold
        )
