"""Ingest throughput (`make bench BENCH=ingest`, needs PostgreSQL).

Runs gunicorn on 127.0.0.1 (a free port) against a database of its own, and a bounded load
generator (Python threads with keep-alive httpx clients, 16 connections, loopback only):

1. signed Discourse ``post_created`` deliveries (signature check, dedupe, raw store, enqueue)
   against a bare Django JSON POST that inserts one row — target >= 60 % of its throughput, with
   p99 under 250 ms;
2. batch API ingest (``POST /api/v1/events/``, 1000 events a batch) against a bare
   ``bulk_create`` of the same rows — target >= 50 %.

Both sides of each comparison run in the same server, one after the other.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests/integrations/fixtures/post_created.json"
CONNECTIONS = 16
REQUESTS = 4000  # per webhook scenario (plus a warm-up)
MAX_SECONDS = 40.0  # per scenario, whatever the count
BATCHES = 24
BATCH_SIZE = 1000
DB_NAME = "csre_bench_ingest"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_urls() -> tuple[str, str] | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    bench = urlunsplit(parts._replace(path=f"/{DB_NAME}"))
    return admin, bench


def _admin_sql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def _sign(secret: str, body: bytes) -> str:
    sys.path.insert(0, str(ROOT))
    from integrations.signing import sign

    return sign(secret, body)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


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
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
    }


def run() -> None:
    urls = _database_urls()
    if urls is None:
        print("skipped: needs DATABASE_URL=postgres://... (the bench makes its own database)")
        return
    admin_url, bench_url = urls
    _admin_sql(admin_url, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    _admin_sql(admin_url, f"CREATE DATABASE {DB_NAME}")
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
    }
    py = sys.executable
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [py, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
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
        port = _free_port()
        server = subprocess.Popen(
            [
                py,
                "-m",
                "gunicorn",
                "bench.ingest_wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "8",
                "--worker-class",
                "gthread",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base)
        _report(setup, base)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        _admin_sql(admin_url, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become ready")


def _report(setup: dict[str, object], base: str) -> None:
    template = json.loads(FIXTURE.read_text())
    secret = str(setup["secret"])
    total = REQUESTS + 400

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
    _load(base, lambda n: bare[n], 200)  # warm-up of both paths
    _load(base, lambda n: deliveries[REQUESTS + n], 200)
    bare_result = _load(base, lambda n: bare[200 + n], REQUESTS)
    hook_result = _load(base, lambda n: deliveries[n], REQUESTS)

    ratio = hook_result["rps"] / bare_result["rps"]
    print(f"{CONNECTIONS} connections, up to {REQUESTS} requests or {MAX_SECONDS:.0f} s each")
    for name, r in (("bare JSON insert", bare_result), ("Discourse post_created", hook_result)):
        print(
            f"  {name:24s} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  "
            f"p99 {r['p99_ms']:6.1f} ms  ({int(r['requests'])} requests, {int(r['errors'])} errors)"
        )
    print(
        f"  webhook / bare throughput {ratio:.0%} (target >= 60 %); "
        f"webhook p99 {hook_result['p99_ms']:.0f} ms (target < 250 ms) "
        f"-> {'OK' if ratio >= 0.6 and hook_result['p99_ms'] < 250 else 'MISSED'}"
    )

    # Batch ingest through the API against a bare bulk_create of the same rows.
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
            for i in range(BATCH_SIZE)
        ]

    auth = {"Authorization": f"Bearer {setup['api_key']}", "Content-Type": "application/json"}
    api_bodies = [json.dumps({"events": batch("api", n)}).encode() for n in range(BATCHES + 2)]
    bare_bodies = [
        json.dumps(
            {
                "community_id": setup["community_id"],
                "member_id": setup["member_id"],
                "space_id": setup["space_id"],
                "events": batch("bare", n),
            }
        ).encode()
        for n in range(BATCHES + 2)
    ]
    _load(base, lambda n: ("/bench/bulk/", bare_bodies[BATCHES + n], auth), 2, 2)
    _load(base, lambda n: ("/api/v1/events/", api_bodies[BATCHES + n], auth), 2, 2)
    bulk = _load(base, lambda n: ("/bench/bulk/", bare_bodies[n], auth), BATCHES, 2)
    api = _load(base, lambda n: ("/api/v1/events/", api_bodies[n], auth), BATCHES, 2)
    bulk_rows, api_rows = bulk["rps"] * BATCH_SIZE, api["rps"] * BATCH_SIZE
    print(f"batches of {BATCH_SIZE} events, {BATCHES} batches, 2 connections")
    print(f"  bare bulk_create          {bulk_rows:9.0f} rows/s  ({int(bulk['errors'])} errors)")
    print(f"  API batch ingest          {api_rows:9.0f} rows/s  ({int(api['errors'])} errors)")
    print(
        f"  API / bare {api_rows / bulk_rows:.0%} (target >= 50 %) "
        f"-> {'OK' if api_rows / bulk_rows >= 0.5 else 'MISSED'}"
    )
