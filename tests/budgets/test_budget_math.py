"""The member budget math (DESIGN.md §3.3), without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from budgets import budget_math
from budgets.budget_math import ChargeFact, Policy, compute_budget, validate_policy
from community.tiers import Tier
from community.vocabulary import FRICTION_KINDS

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ago(**kwargs: float) -> datetime:
    return NOW - timedelta(**kwargs)


def posts(n: int) -> list[datetime]:
    return [ago(hours=1 + i % 600) for i in range(n)]


def charges(*costs: int) -> list[ChargeFact]:
    return [ChargeFact(cost=Decimal(c), occurred_at=ago(days=1 + i)) for i, c in enumerate(costs)]


WORKED = Policy(window_days=30, member_target=Decimal("0.95"), floor_points=Decimal(3))


def test_worked_example_200_posts_is_a_warning_at_exactly_half() -> None:
    budget = compute_budget(WORKED, NOW, activity_times=posts(200), charges=charges(3, 1, 1))
    assert (budget.activity, budget.allowance, budget.spent) == (200, 10, 5)
    assert budget.remaining == 5
    assert budget.remaining_ratio == Decimal("0.5")
    assert budget.tier is Tier.WARNING


def test_worked_example_20_posts_falls_back_to_the_floor_and_is_exhausted() -> None:
    budget = compute_budget(WORKED, NOW, activity_times=posts(20), charges=charges(3, 1, 1))
    assert budget.allowance == 3
    assert budget.remaining == -2
    assert budget.tier is Tier.EXHAUSTED


@pytest.mark.parametrize(
    ("slips", "tier"),
    [
        (0, Tier.HEALTHY),
        (1, Tier.HEALTHY),
        (2, Tier.WARNING),
        (3, Tier.CRITICAL),
        (4, Tier.EXHAUSTED),
    ],
)
def test_a_newcomers_moderate_slips_under_the_default_policy(slips: int, tier: Tier) -> None:
    budget = compute_budget(Policy(), NOW, activity_times=posts(5), charges=charges(*[3] * slips))
    assert budget.allowance == 10
    assert budget.tier is tier


def test_a_fixed_allowance_ignores_activity() -> None:
    fixed = Policy(member_target=None, floor_points=Decimal(12))
    budget = compute_budget(fixed, NOW, activity_times=posts(5000), charges=charges(3))
    assert budget.allowance == 12


def test_the_window_is_open_at_the_start_and_closed_at_the_end() -> None:
    policy = Policy(window_days=30)
    edge = [
        ChargeFact(cost=Decimal(3), occurred_at=ago(days=30)),  # exactly t - window: out
        ChargeFact(cost=Decimal(1), occurred_at=NOW),  # exactly t: in
        ChargeFact(cost=Decimal(5), occurred_at=NOW + timedelta(seconds=1)),  # future: out
    ]
    budget = compute_budget(policy, NOW, activity_times=[ago(days=30), NOW], charges=edge)
    assert (budget.activity, budget.spent) == (1, 1)


def test_released_charges_stop_counting_from_their_release() -> None:
    charge = ChargeFact(cost=Decimal(8), occurred_at=ago(days=5), released_at=ago(days=1))
    policy = Policy()
    assert compute_budget(policy, NOW, activity_times=[], charges=[charge]).spent == 0
    assert compute_budget(policy, ago(days=2), activity_times=[], charges=[charge]).spent == 8


def test_recovers_when_the_oldest_active_charge_leaves_the_window() -> None:
    facts = [
        ChargeFact(cost=Decimal(3), occurred_at=ago(days=20), released_at=ago(days=1)),
        ChargeFact(cost=Decimal(3), occurred_at=ago(days=10)),
        ChargeFact(cost=Decimal(1), occurred_at=ago(days=2)),
    ]
    budget = compute_budget(Policy(), NOW, activity_times=[], charges=facts)
    assert budget.recovers_at == ago(days=10) + timedelta(days=30)
    assert compute_budget(Policy(), NOW, activity_times=[], charges=[]).recovers_at is None


def test_burn_rate_over_24_hours_scales_to_the_window() -> None:
    facts = [
        ChargeFact(cost=Decimal(1), occurred_at=ago(hours=3)),
        ChargeFact(cost=Decimal(3), occurred_at=ago(hours=30)),
    ]
    budget = compute_budget(Policy(), NOW, activity_times=[], charges=facts)
    # (1 / 10) * 30 days = 3: at this pace the whole budget goes in a third of the window.
    assert budget.burn_rate_24h == 3


def test_floats_never_enter_the_math() -> None:
    with pytest.raises(TypeError):
        budget_math.allowance_for(Policy(member_target=0.95), 10)  # type: ignore[arg-type]


GOOD = {
    "window_days": 30,
    "member_target": "0.95",
    "floor_points": "10",
    "costs": {"flag_upheld": {"minor": "1", "moderate": "3", "severe": "8"}},
    "tier_actions": {"warning": ["private_nudge"]},
    "cooldown_hours": 24,
    "appeal_days": 14,
}


def test_a_sane_policy_validates() -> None:
    assert validate_policy(friction_kinds=FRICTION_KINDS, **GOOD) == {}
    assert validate_policy(friction_kinds=FRICTION_KINDS, **(GOOD | {"member_target": None})) == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("window_days", 0),
        ("window_days", 366),
        ("window_days", "thirty"),
        ("member_target", "1"),
        ("member_target", "0"),
        ("member_target", "-0.5"),
        ("member_target", 0.95),
        ("floor_points", "0"),
        ("floor_points", "1.234"),
        ("costs", {"flag_upheld": {"minor": "-1", "moderate": "3", "severe": "8"}}),
        ("costs", {"flag_upheld": {"minor": "1", "moderate": "3", "severe": "1001"}}),
        ("costs", {"flag_upheld": {"minor": "1"}}),
        ("costs", {"post": {"minor": "1", "moderate": "3", "severe": "8"}}),
        ("tier_actions", {"exhausted": ["ban"]}),
        ("tier_actions", {"healthy": ["private_nudge"]}),
        ("cooldown_hours", 0),
        ("appeal_days", 0),
    ],
)
def test_policies_out_of_range_are_refused_with_a_message(field: str, value: object) -> None:
    errors = validate_policy(friction_kinds=FRICTION_KINDS, **(GOOD | {field: value}))
    assert set(errors) == {field}
    assert errors[field]
