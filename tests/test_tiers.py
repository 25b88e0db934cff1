"""The one tier policy for clauses and members (DESIGN.md §3.2), with exact boundaries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from community.tiers import Tier, as_decimal, tier_for


@pytest.mark.parametrize(
    ("ratio", "tier"),
    [
        ("1", Tier.HEALTHY),
        ("0.5000001", Tier.HEALTHY),
        ("0.5", Tier.WARNING),
        ("0.2000001", Tier.WARNING),
        ("0.2", Tier.CRITICAL),
        ("0.0000001", Tier.CRITICAL),
        ("0", Tier.EXHAUSTED),
        ("-3", Tier.EXHAUSTED),
    ],
)
def test_tier_boundaries_are_exact(ratio: str, tier: Tier) -> None:
    assert tier_for(Decimal(ratio)) is tier


def test_decimal_arithmetic_keeps_the_boundary_exact() -> None:
    allowance = (1 - Decimal("0.95")) * 200
    assert allowance == 10
    assert tier_for((allowance - 5) / allowance) is Tier.WARNING


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        as_decimal(0.95)  # type: ignore[arg-type]


def test_tiers_rank_from_healthy_to_exhausted() -> None:
    assert [t.rank for t in Tier] == [0, 1, 2, 3]
