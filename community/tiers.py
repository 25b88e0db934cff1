"""Tiers (DESIGN.md §3.2): one policy for clause budgets, member budgets and incidents.

Framework-free: imports nothing from Django. Clauses (``community.contract``), budgets and
incidents all take the tier of a remaining-budget ratio, its order and its thresholds from
here, so there is one rule however many places show a tier.

Exact decimal arithmetic throughout, so that a ratio of exactly 0.5 is *warning*, never
healthy. Pass ratios as strings or Decimals, never floats.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)
ONE = Decimal(1)
HEALTHY_ABOVE = Decimal("0.5")
WARNING_ABOVE = Decimal("0.2")


class Tier(StrEnum):
    """One policy for clauses and members (DESIGN.md §3.2)."""

    HEALTHY = "healthy"
    WARNING = "warning"
    CRITICAL = "critical"
    EXHAUSTED = "exhausted"

    @property
    def rank(self) -> int:
        """0 for healthy up to 3 for exhausted: higher is worse."""
        return list(Tier).index(self)


# Model field choices for a stored tier (plain tuples: no Django needed to build them).
TIER_CHOICES: list[tuple[str, str]] = [(tier.value, tier.value.capitalize()) for tier in Tier]


def tier_for(ratio: Decimal) -> Tier:
    """healthy > 0.5; warning 0.2 < r <= 0.5; critical 0 < r <= 0.2; exhausted r <= 0."""
    if ratio > HEALTHY_ABOVE:
        return Tier.HEALTHY
    if ratio > WARNING_ABOVE:
        return Tier.WARNING
    if ratio > ZERO:
        return Tier.CRITICAL
    return Tier.EXHAUSTED


def is_worse(to_tier: str, from_tier: str) -> bool:
    """Whether moving from ``from_tier`` to ``to_tier`` is a step down (toward exhausted)."""
    return Tier(to_tier).rank > Tier(from_tier).rank


def as_decimal(value: Decimal | int | str) -> Decimal:
    """Decimal from an int, str or Decimal. Floats are refused: they would break exactness."""
    if isinstance(value, float):
        raise TypeError("use a str or Decimal, not a float, for exact budget arithmetic")
    return value if isinstance(value, Decimal) else Decimal(value)
