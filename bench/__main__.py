"""Run the benchmarks in their documented order (docs/benchmarks.md), or those named
(`python -m bench budgets ingest`), and end with one summary table: figure, what was measured,
the floor measured in the same run, the ratio, the target and the verdict.

Each ``bench/bench_*.py`` has a ``run()`` that prints its details and returns its rows
(``bench.results.Row``). A module not in ``ORDER`` runs after those, alphabetically.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench import common
from bench.results import Row

# Cheapest first, so a broken setup shows early: the recalculation (its own database), clause
# evaluation (its own database), ingest through gunicorn (its own database).
ORDER = ("budgets", "clauses", "ingest")
HEADERS = ("figure", "measured", "floor (same run)", "ratio", "target", "verdict")


def available() -> list[str]:
    here = Path(__file__).parent
    found = {m.name.removeprefix("bench_") for m in pkgutil.iter_modules([str(here)])}
    found = {name for name in found if f"bench_{name}" in _module_names(here)}
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def _module_names(here: Path) -> set[str]:
    return {m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")}


def verdict(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "MISSED")


def table(rows: Sequence[Row]) -> str:
    """The summary as a plain-text table (also valid Markdown)."""
    cells = [
        (
            r.figure,
            r.measured,
            r.floor,
            "-" if r.ratio is None else f"{r.ratio:.2f}x",
            r.target,
            verdict(r.met),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADERS)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    out = [line(HEADERS), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(c) for c in cells]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    names = available()
    wanted = argv or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(names)}")
        return 2
    size = common.size()
    rows: list[Row] = []
    started = time.perf_counter()
    for name in wanted:
        print(f"\n=== {name} (BENCH_SIZE={size}) ===", flush=True)
        rows += importlib.import_module(f"bench.bench_{name}").run() or []
    judged = [r for r in rows if r.met is not None]
    print(f"\n=== summary (BENCH_SIZE={size}, {time.perf_counter() - started:.0f} s) ===")
    print(table(rows))
    print(f"{sum(1 for r in judged if r.met)} of {len(judged)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
