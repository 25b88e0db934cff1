"""Server-rendered charts: the geometry of an accessible SVG (title, description, axis labels),
computed here without Django and drawn by ``templates/boards/_chart.html``. Every chart is
shown beside a table of the same numbers, so the SVG is a picture of the table, not its only
copy. The view box scales to the width of the page, so a chart reads on a 390 px phone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 48
ROW = 34


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Marker:
    """A vertical line at ``x`` (a change: a contract version, a policy change), its short
    ``label`` drawn at the top; ``worse`` when a clause got worse after it."""

    x: float
    label: str
    worse: bool = False


@dataclass(frozen=True)
class Whisker:
    y: float
    low: float
    high: float
    mid: float
    label: str
    flagged: bool


@dataclass(frozen=True)
class Chart:
    kind: str  # "line", "bars" or "intervals"
    title: str
    desc: str
    x_label: str
    y_label: str
    width: int = WIDTH
    height: int = HEIGHT
    left: float = LEFT
    top: float = TOP
    right: float = WIDTH - RIGHT
    bottom: float = HEIGHT - BOTTOM
    x_ticks: tuple[Tick, ...] = ()
    y_ticks: tuple[Tick, ...] = ()
    points: str = ""
    dots: tuple[tuple[float, float], ...] = ()
    guide: float | None = None  # a target line (y) or the "no difference" line (x)
    bars: tuple[Bar, ...] = ()
    whiskers: tuple[Whisker, ...] = field(default_factory=tuple)
    markers: tuple[Marker, ...] = ()

    @property
    def x_label_y(self) -> float:
        return self.height - 8

    @property
    def y_label_x(self) -> float:
        return 14


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _nice_step(span: float) -> float:
    raw = span / 4 if span > 0 else 1
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= raw:
            return step * power
    return 10 * power


def _y_scale(low: float, ceiling: float) -> Callable[[float], float]:
    """The plotting frame's y position of a value, ``low`` at the bottom, ``ceiling`` at the top."""
    top, bottom = TOP, HEIGHT - BOTTOM

    def y(value: float) -> float:
        return round(bottom - (bottom - top) * (value - low) / (ceiling - low), 1)

    return y


def _y_ticks(low: float, ceiling: float, step: float, unit: str) -> tuple[Tick, ...]:
    """Ticks from ``low`` to ``ceiling`` every ``step`` on the plotting frame's y axis."""
    y = _y_scale(low, ceiling)
    ticks = []
    tick = low
    while tick <= ceiling + 1e-9:
        ticks.append(Tick(y(tick), f"{_number(tick)}{unit}"))
        tick += step
    return tuple(ticks)


def position_among(points: Sequence[float], value: float) -> float | None:
    """Where ``value`` falls among ascending ``points``, in index units (2.5: halfway between
    the third and the fourth); None outside them."""
    if not points or value < points[0] or value > points[-1]:
        return None
    for i in range(len(points) - 1):
        a, b = points[i], points[i + 1]
        if a <= value <= b:
            return i + ((value - a) / (b - a) if b > a else 0.0)
    return float(len(points) - 1)


def line_chart(
    *,
    title: str,
    desc: str,
    values: Sequence[tuple[str, float | None]],
    x_label: str,
    y_label: str,
    target: float | None = None,
    unit: str = " %",
    ceiling: float = 100,
    markers: Sequence[tuple[float, str, bool]] = (),
) -> Chart:
    """One value per x position (``None`` leaves a gap); the y axis ends at ``ceiling`` and
    starts a little under the lowest value or the target. ``markers`` are (position in index
    units, label, worse) vertical lines."""
    known = [v for _, v in values if v is not None]
    floor_value = min([*known, *([target] if target is not None else []), ceiling])
    step = _nice_step(max(ceiling - floor_value, 1))
    low = max(0.0, math.floor((floor_value - step / 2) / step) * step)
    left, right = LEFT, WIDTH - RIGHT
    count = max(len(values) - 1, 1)
    y = _y_scale(low, ceiling)

    def x(i: float) -> float:
        return round(left + (right - left) * i / count, 1)

    dots = tuple((x(i), y(v)) for i, (_, v) in enumerate(values) if v is not None)
    every = max(1, math.ceil(len(values) / 6))
    x_ticks = tuple(Tick(x(i), label) for i, (label, _) in enumerate(values) if i % every == 0)
    return Chart(
        kind="line",
        title=title,
        desc=desc,
        x_label=x_label,
        y_label=y_label,
        x_ticks=x_ticks,
        y_ticks=_y_ticks(low, ceiling, step, unit),
        points=" ".join(f"{a},{b}" for a, b in dots),
        dots=dots,
        guide=y(target) if target is not None and target >= low else None,
        markers=tuple(Marker(x(at), label, worse) for at, label, worse in markers),
    )


def bar_chart(
    *,
    title: str,
    desc: str,
    values: Sequence[tuple[str, float | None]],
    x_label: str,
    y_label: str,
    unit: str = "",
) -> Chart:
    """One bar per label, from zero (``None`` draws no bar)."""
    highest = max([v for _, v in values if v is not None] + [0.0])
    step = _nice_step(highest or 1)
    ceiling = max(step, math.ceil(highest / step) * step)
    bottom, left, right = HEIGHT - BOTTOM, LEFT, WIDTH - RIGHT
    slot = (right - left) / max(len(values), 1)
    y = _y_scale(0.0, ceiling)
    bars = [
        Bar(
            x=round(left + slot * i + slot * 0.2, 1),
            y=y(value),
            width=round(slot * 0.6, 1),
            height=round(bottom - y(value), 1),
            label=label,
        )
        for i, (label, value) in enumerate(values)
        if value is not None
    ]
    x_ticks = tuple(
        Tick(round(left + slot * (i + 0.5), 1), label) for i, (label, _) in enumerate(values)
    )
    return Chart(
        kind="bars",
        title=title,
        desc=desc,
        x_label=x_label,
        y_label=y_label,
        x_ticks=x_ticks,
        y_ticks=_y_ticks(0.0, ceiling, step, unit),
        bars=tuple(bars),
    )


def interval_chart(
    *,
    title: str,
    desc: str,
    rows: Sequence[tuple[str, float, float, float, bool]],
    x_label: str,
    times: str = "%(number)s times",
) -> Chart:
    """Ratios with their intervals (label, ratio, low, high, flagged) on a log scale around 1,
    one row each, with the line at 1 (no difference) drawn as the guide; ``times`` words a
    tick (the caller's language: this module is free of Django)."""
    values = [v for _, r, lo, hi, _ in rows for v in (r, lo, hi)] + [1.0]
    extent = max(abs(math.log(max(v, 1e-6))) for v in values)
    extent = max(extent * 1.1, math.log(2))
    height = TOP + BOTTOM + ROW * max(len(rows), 1)
    left, right = LEFT + 80, WIDTH - RIGHT

    def x(v: float) -> float:
        return round(left + (right - left) * (math.log(v) + extent) / (2 * extent), 1)

    whiskers = tuple(
        Whisker(
            y=TOP + ROW * (i + 0.5),
            low=x(lo),
            high=x(hi),
            mid=x(r),
            label=label,
            flagged=flagged,
        )
        for i, (label, r, lo, hi, flagged) in enumerate(rows)
    )
    ticks = [t for t in (0.25, 0.5, 1, 2, 4, 8, 16) if abs(math.log(t)) <= extent]
    return Chart(
        kind="intervals",
        title=title,
        desc=desc,
        x_label=x_label,
        y_label="",
        height=height,
        left=left,
        bottom=height - BOTTOM,
        x_ticks=tuple(Tick(x(t), times % {"number": _number(t)}) for t in ticks),
        guide=x(1.0),
        whiskers=whiskers,
    )
