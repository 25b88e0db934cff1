"""`make bench` cannot rot: the whole harness runs at ``BENCH_SIZE=tiny`` on the test database
(every benchmark, in the documented order, ending with the one summary table)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import ORDER, available, table
from bench.results import Row
from tests.conftest import database_url

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmarks_run_in_the_documented_order() -> None:
    names = available()
    assert names[: len(ORDER)] == list(ORDER)
    assert (ROOT / "docs/benchmarks.md").read_text().count("`budgets`, `clauses`, `ingest`") == 1


def test_the_summary_is_one_table_with_a_verdict_per_row() -> None:
    rows = [
        Row("periodic run", "0.2 s", "3.1 s full floor", 0.0645, "<= 0.15x", True),
        Row("batch ingest", "9000 rows/s", "20000 rows/s", 0.45, ">= 0.60x", False),
        Row("clause aggregate", "6 ms", "1 ms", None, "none yet", None),
    ]
    lines = table(rows).splitlines()
    assert lines[0].split("|")[1:-1] == [
        " figure           ",
        " measured    ",
        " floor (same run) ",
        " ratio ",
        " target   ",
        " verdict ",
    ]
    assert [line.split("|")[4].strip() for line in lines[2:]] == ["0.06x", "0.45x", "-"]
    assert [line.split("|")[6].strip() for line in lines[2:]] == ["met", "MISSED", "-"]


def test_an_unknown_size_or_benchmark_is_refused() -> None:
    env = {**os.environ, "BENCH_SIZE": "huge"}
    out = subprocess.run(
        [sys.executable, "-m", "bench", "budgets"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0
    assert "BENCH_SIZE is one of tiny, small, full" in out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "bench", "nothing"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (out.returncode, out.stdout.split(";")[0]) == (2, "unknown benchmark(s): nothing")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_whole_harness_runs_at_a_tiny_size() -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "BENCH_SIZE": "tiny",
        "BENCH_REUSE_DATABASE": "1",
        # The replay ignores BENCH_SIZE (1M events by default, half a minute): its own knob.
        "BENCH_REPLAY_EVENTS": "20000",
    }
    # Its own process group, so a run that overstays is stopped with the servers it started.
    with subprocess.Popen(
        [sys.executable, "-m", "bench"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as run:
        try:
            stdout, stderr = run.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            raise
    out = subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)
    assert out.returncode == 0, out.stderr[-3000:]
    summary = out.stdout.split("=== summary")[1]
    for figure in (
        "full recalculation, 300 members",
        "per-member ORM loop, 300 members",
        "periodic run, 300 members",
        "clause aggregate, 2,000 events",
        "Discourse webhooks, 16 connections",
        "batch API ingest, 50 events a batch (median of 2 runs)",
        "Moderator home (Needs you), 300 members",
        "Members table, one tier, a name search, 300 members",
        "Fairness board, 300 members",
        "replay of 30 days, 20,",
    ):
        assert figure in summary
    if os.environ.get("CELERY_BROKER_URL", "").startswith(("redis://", "rediss://")):
        # The freshness benchmark's workers need Redis (CI has it).
        for figure in (
            "event -> member budget, at 20 events/s for 2 s (4 upheld flags)",
            "event -> clause SLI, at 20 events/s for 2 s (40 events)",
            "webhooks at 20 events/s for 2 s: sent / stored / lost",
        ):
            assert figure in summary
        assert "40 / 40 / 0" in summary  # nothing lost
    assert "targets met" in summary.splitlines()[-1]
    # The order of the run is the documented one.
    starts = [out.stdout.index(f"=== {name} ") for name in ORDER]
    assert starts == sorted(starts)
