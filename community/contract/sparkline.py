"""A tiny inline SVG sparkline of a clause's SLI history: no JavaScript, nothing from a CDN."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 160
HEIGHT = 36


@dataclass(frozen=True)
class Sparkline:
    points: str
    target_y: str
    last_x: str
    last_y: str
    width: int
    height: int
    label: str


def _fmt(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.1")), "f")


def sparkline(values: Sequence[Decimal | None], target: Decimal) -> Sparkline | None:
    """SLI values oldest first (None = no data, skipped); the target as a dashed line.
    None when there are fewer than two points to draw."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return None
    low = min(min(v for _, v in known), target)
    span = Decimal(1) - low
    pad = span / 10 if span > 0 else Decimal("0.01")
    low, high = low - pad, Decimal(1) + pad / 2
    last_index = max(len(values) - 1, 1)

    def x(i: int) -> Decimal:
        return Decimal(i) * WIDTH / last_index

    def y(v: Decimal) -> Decimal:
        return HEIGHT - (v - low) / (high - low) * HEIGHT

    points = " ".join(f"{_fmt(x(i))},{_fmt(y(v))}" for i, v in known)
    first, last = known[0][1], known[-1][1]
    label = (
        f"SLI history: {_fmt(first * 100)} % at the start, {_fmt(last * 100)} % now; "
        f"target {_fmt(target * 100)} % (dashed line)."
    )
    return Sparkline(
        points=points,
        target_y=_fmt(y(target)),
        last_x=_fmt(x(known[-1][0])),
        last_y=_fmt(y(last)),
        width=WIDTH,
        height=HEIGHT,
        label=label,
    )
