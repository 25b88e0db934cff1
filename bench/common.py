"""What every benchmark shares: the size knob, its own databases on the server that
``DATABASE_URL`` names, and child processes that print one JSON line.

* ``BENCH_SIZE=tiny|small|full`` (default ``full``): ``tiny`` is for the test that runs the whole
  harness so it cannot rot (seconds, figures meaningless); ``small`` stops at 10k members.
* Each benchmark makes its own database, named after the one in ``DATABASE_URL`` with a suffix
  (``bench_fresh`` -> ``bench_fresh_budgets``), migrates it, and drops it at the end, so a fresh,
  empty database is all ``make bench`` needs. ``BENCH_REUSE_DATABASE=1`` (the test) uses the
  ``DATABASE_URL`` database itself, already migrated, and creates nothing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SIZES = ("tiny", "small", "full")


def size() -> str:
    value = os.environ.get("BENCH_SIZE", "full")
    if value not in SIZES:
        raise SystemExit(f"BENCH_SIZE is one of {', '.join(SIZES)}, not {value!r}")
    return value


def reuse_database() -> bool:
    return os.environ.get("BENCH_REUSE_DATABASE", "") == "1"


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("the benchmarks need DATABASE_URL=postgres://... (PostgreSQL)")
    return url


def database_name(suffix: str) -> str:
    base = urlsplit(server_url()).path.lstrip("/") or "csre"
    return f"{base}_{suffix}"


def _with_path(name: str) -> str:
    return urlunsplit(urlsplit(server_url())._replace(path=f"/{name}"))


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_path("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def fresh_database(suffix: str, settings: str = "config.settings") -> str:
    """The URL of an empty, migrated database of this benchmark's own."""
    if reuse_database():
        return server_url()
    name = database_name(suffix)
    admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {name}")
    url = _with_path(name)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": settings}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return url


def drop_database(suffix: str) -> None:
    if not reuse_database():
        admin_sql(f"DROP DATABASE IF EXISTS {database_name(suffix)} WITH (FORCE)")


def child(
    module: str, url: str, action: str, *args: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run ``python -m module action args`` against ``url`` (with ``env`` added to the
    environment); its last line is JSON."""
    env = {**os.environ, **(env or {}), "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    out = subprocess.run(
        [sys.executable, "-m", module, action, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 0.1 else f"{value * 1000:.0f} ms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def start_gunicorn(*, threads: int, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn (2 gthread workers, ``threads`` each) serving the benchmark's WSGI app on a free
    loopback port with ``env``, once it answers its health check: (the process, its base URL).
    The caller terminates it."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.ingest_wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
    except BaseException:
        server.terminate()
        server.wait(timeout=30)
        raise
    return server, base


def wait_ready(base: str, server: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until the gunicorn at ``base`` answers its health check: up to 120 s (a loaded,
    shared machine starts two workers slowly), and no longer once ``server`` has exited."""
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before it was ready")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become ready")
