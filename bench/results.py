"""One row of `make bench`'s summary table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    floor: str
    ratio: float | None
    target: str
    met: bool | None
