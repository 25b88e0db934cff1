"""Ingest throughput (`make bench BENCH=ingest`, needs PostgreSQL).

Runs gunicorn on 127.0.0.1 (a free port) against a database of its own, and a bounded load
generator (Python threads with keep-alive httpx clients, 16 connections, loopback only):

1. signed Discourse ``post_created`` deliveries (signature check, dedupe, raw store, enqueue)
   against a bare Django JSON POST that inserts one row — target >= 60 % of its throughput, with
   p99 under 250 ms;
2. batch API ingest (``POST /api/v1/events/``, 1000 events a batch) against a bare
   ``bulk_create`` of the same rows, five runs of both sides in turn — target: the median
   ratio >= 60 %.

Both sides of each comparison run in the same server, one after the other. The database is the
benchmark's own (``bench.common``).
"""

from __future__ import annotations

import copy
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench import common
from bench.results import Row

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests/integrations/fixtures/post_created.json"
CONNECTIONS = 16
MAX_SECONDS = 40.0  # per scenario, whatever the count
SUFFIX = "bench_ingest"
# Per size: webhook requests per scenario, warm-up requests, batches per run, events a batch,
# runs of the batch comparison.
SCALE = {
    "tiny": {"requests": 60, "warm": 20, "batches": 2, "batch_size": 50, "runs": 2},
    "small": {"requests": 1000, "warm": 200, "batches": 6, "batch_size": 1000, "runs": 5},
    "full": {"requests": 4000, "warm": 400, "batches": 8, "batch_size": 1000, "runs": 5},
}


def _sign(secret: str, body: bytes) -> str:
    sys.path.insert(0, str(ROOT))
    from integrations.signing import sign

    return sign(secret, body)


def _load(
    base: str,
    make: Callable[[int], tuple[str, bytes, dict[str, str]]],
    count: int,
    connections: int = CONNECTIONS,
) -> dict[str, float]:
    """Send ``count`` requests over CONNECTIONS keep-alive connections; bounded in time."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(count))
    deadline = time.monotonic() + MAX_SECONDS

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=10.0) as client:
            while time.monotonic() < deadline:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                path, body, headers = make(n)
                started = time.perf_counter()
                response = client.post(path, content=body, headers=headers)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code >= 300:
                        errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / wall,
        "p50_ms": common.percentile(latencies, 0.50) * 1000,
        "p99_ms": common.percentile(latencies, 0.99) * 1000,
    }


def run() -> list[Row]:
    bench_url = common.fresh_database(SUFFIX, settings="bench.ingest_settings")
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "bench.ingest_settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "BENCH_INGEST_SETUP": "create",
    }
    py = sys.executable
    server: subprocess.Popen[bytes] | None = None
    try:
        setup = json.loads(
            subprocess.run(
                [py, "-m", "bench.ingest_setup"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        server, base = common.start_gunicorn(threads=8, env=env)
        return _report(setup, base, SCALE[common.size()])
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if common.reuse_database():
            subprocess.run(
                [py, "-m", "bench.ingest_setup"],
                cwd=ROOT,
                env={**env, "BENCH_INGEST_SETUP": "drop"},
                check=True,
            )
        common.drop_database(SUFFIX)


def _report(setup: dict[str, object], base: str, scale: dict[str, int]) -> list[Row]:
    template = json.loads(FIXTURE.read_text())
    secret = str(setup["secret"])
    requests, warm = scale["requests"], scale["warm"]
    total = requests + warm

    # Pre-build every delivery (unique post ids) so the load generator only sends bytes.
    deliveries = []
    for n in range(total):
        data = copy.deepcopy(template["body"])
        data["post"]["id"] = 1_000_000 + n
        data["post"]["user_id"] = 5000 + n % 300
        data["post"]["username"] = f"bench_user_{n % 300}"
        body = json.dumps(data).encode()
        headers = {
            **template["headers"],
            "Content-Type": "application/json",
            "X-Discourse-Event-Id": str(10_000_000 + n),
            "X-Discourse-Instance": str(setup["instance"]),
            "X-Discourse-Event-Signature": _sign(secret, body),
        }
        deliveries.append((str(setup["webhook_path"]), body, headers))
    bare = [
        (
            "/bench/bare/",
            json.dumps({"n": n, "text": "x" * 1200}).encode(),
            {"Content-Type": "application/json"},
        )
        for n in range(total)
    ]
    _load(base, lambda n: bare[n], warm)  # warm-up of both paths
    _load(base, lambda n: deliveries[requests + n], warm)
    bare_result = _load(base, lambda n: bare[warm + n], requests)
    hook_result = _load(base, lambda n: deliveries[n], requests)

    ratio = hook_result["rps"] / bare_result["rps"]
    print(f"{CONNECTIONS} connections, up to {requests} requests or {MAX_SECONDS:.0f} s each")
    for name, r in (("bare JSON insert", bare_result), ("Discourse post_created", hook_result)):
        print(
            f"  {name:24s} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  "
            f"p99 {r['p99_ms']:6.1f} ms  ({int(r['requests'])} requests, {int(r['errors'])} errors)"
        )
    rows = [
        Row(
            figure=f"Discourse webhooks, {CONNECTIONS} connections (p99 < 250 ms)",
            measured=f"{hook_result['rps']:.0f} req/s, p99 {hook_result['p99_ms']:.0f} ms",
            floor=f"{bare_result['rps']:.0f} req/s bare insert",
            ratio=ratio,
            target=">= 0.60x",
            met=ratio >= 0.6 and hook_result["p99_ms"] < 250 and hook_result["errors"] == 0,
        )
    ]
    return rows + _batches(setup, base, scale)


def _batches(setup: dict[str, object], base: str, scale: dict[str, int]) -> list[Row]:
    """Batch ingest through the API against a bare bulk_create of the same rows: ``runs``
    rounds of both sides in turn; the median ratio is the figure (the machine is shared)."""
    batches, size, runs = scale["batches"], scale["batch_size"], scale["runs"]

    def batch(prefix: str, n: int) -> list[dict[str, object]]:
        return [
            {
                "external_id": f"{prefix}-{n}-{i}",
                "kind": "post",
                "occurred_at": "2026-11-20T10:00:00+00:00",
                "member": {"external_id": "1", "username": "bench"},
                "space": {"external_id": "1", "name": "Bench"},
                "subject": f"{prefix}-{n}-{i}",
            }
            for i in range(size)
        ]

    auth = {"Authorization": f"Bearer {setup['api_key']}", "Content-Type": "application/json"}
    count = batches * runs + 2
    api_bodies = [json.dumps({"events": batch("api", n)}).encode() for n in range(count)]
    bare_bodies = [
        json.dumps(
            {
                "community_id": setup["community_id"],
                "member_id": setup["member_id"],
                "space_id": setup["space_id"],
                "events": batch("bare", n),
            }
        ).encode()
        for n in range(count)
    ]
    _load(base, lambda n: ("/bench/bulk/", bare_bodies[n], auth), 2, 2)  # warm-up
    _load(base, lambda n: ("/api/v1/events/", api_bodies[n], auth), 2, 2)
    ratios, bulk_rates, api_rates, errors = [], [], [], 0
    for r in range(runs):
        first = 2 + r * batches
        bulk = _load(
            base, lambda n, f=first: ("/bench/bulk/", bare_bodies[f + n], auth), batches, 2
        )
        api = _load(
            base, lambda n, f=first: ("/api/v1/events/", api_bodies[f + n], auth), batches, 2
        )
        bulk_rates.append(bulk["rps"] * size)
        api_rates.append(api["rps"] * size)
        ratios.append(api_rates[-1] / bulk_rates[-1])
        errors += int(bulk["errors"] + api["errors"])
    median = statistics.median(ratios)
    print(
        f"batches of {size} events, {batches} batches a side, {runs} runs, 2 connections\n"
        f"  bare bulk_create  {statistics.median(bulk_rates):9.0f} rows/s (median)\n"
        f"  API batch ingest  {statistics.median(api_rates):9.0f} rows/s (median)\n"
        f"  API / bare per run: {', '.join(f'{x:.0%}' for x in ratios)}; median {median:.0%} "
        f"({errors} errors)"
    )
    return [
        Row(
            figure=f"batch API ingest, {size} events a batch (median of {runs} runs)",
            measured=f"{statistics.median(api_rates):.0f} rows/s",
            floor=f"{statistics.median(bulk_rates):.0f} rows/s bare bulk_create",
            ratio=median,
            target=">= 0.60x",
            met=median >= 0.6 and errors == 0,
        )
    ]
