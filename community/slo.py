"""Tiers and SLO math (DESIGN.md §3.1 to 3.2). Framework-free: imports nothing from Django.

Exact decimal arithmetic throughout, so that ``(1 - 0.95) * 200`` is exactly 10 and a ratio of
exactly 0.5 is *warning*, never healthy. Pass targets as strings or Decimals, never floats.
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


def tier_for(ratio: Decimal) -> Tier:
    """healthy > 0.5; warning 0.2 < r <= 0.5; critical 0 < r <= 0.2; exhausted r <= 0."""
    if ratio > HEALTHY_ABOVE:
        return Tier.HEALTHY
    if ratio > WARNING_ABOVE:
        return Tier.WARNING
    if ratio > ZERO:
        return Tier.CRITICAL
    return Tier.EXHAUSTED


def as_decimal(value: Decimal | int | str) -> Decimal:
    """Decimal from an int, str or Decimal. Floats are refused: they would break exactness."""
    if isinstance(value, float):
        raise TypeError("use a str or Decimal, not a float, for exact budget arithmetic")
    return value if isinstance(value, Decimal) else Decimal(value)
