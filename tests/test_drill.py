"""``make drill`` cannot rot: its private services start on spare ports and stop without a
trace, and a small drill (the worker's pool killed during a bulk recalculation, a cooldown
ending meanwhile) passes end to end: load through the API, the fault, convergence to the pure
function, and everything stopped afterwards.

Neither test touches the shared PostgreSQL or Redis: the drill starts its own from Debian's
server binaries, and the drill's process is given no ``DATABASE_URL`` or broker at all.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis

from drill.services import SHARED_PORTS, PrivatePostgres, PrivateRedis, make_root, port_open
from tests.conftest import ROOT

pytestmark = [pytest.mark.postgres]


def test_private_services_run_on_spare_ports_and_stop_without_a_trace() -> None:
    root = make_root()  # (pytest's own temporary folders are closed to the postgres user)
    postgres = PrivatePostgres(root=root)
    broker = PrivateRedis(root=root)
    assert postgres.port not in SHARED_PORTS and broker.port not in SHARED_PORTS
    try:
        postgres.start()
        broker.start()
        with psycopg.connect(postgres.url, connect_timeout=5) as conn:
            data_dir = conn.execute("SHOW data_directory").fetchone()
        assert data_dir is not None and Path(data_dir[0]) == postgres.data_dir
        assert redis.Redis.from_url(broker.url, socket_connect_timeout=2).ping()
        assert postgres.restart() < 30
        with psycopg.connect(postgres.url, connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        server_pid = postgres.pid()
        assert server_pid is not None
    finally:
        broker.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)
    assert not port_open(postgres.port) and not port_open(broker.port)
    assert not running(server_pid)


def running(pid: int) -> bool:
    """Alive and not a zombie (a daemon's parent may be slow to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_a_small_drill_kills_the_worker_mid_recalculation_and_converges() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    result = subprocess.run(
        [
            sys.executable, "-m", "drill", "--quick", "--scenarios", "kill-worker",
            "--members", "600", "--posts", "2", "--chunk-size", "10",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert "PASS  the worker was killed half-way through the recalculation" in out
    assert "PASS  every member's stored budget equals the pure function" in out
    assert "PASS  a cooldown whose end passed while the worker's pool was killed has ended" in out
    assert re.search(r"kill the worker mid-recalculation\s+PASS", out)
    assert "stopped web, worker, beat, the forum stand-in, Redis and PostgreSQL" in out
    folder = re.search(r"started a private PostgreSQL on port (\d+) in (\S+)/postgres", out)
    assert folder is not None
    assert not Path(folder.group(2)).exists(), "the drill left its temporary folder behind"
    assert not port_open(int(folder.group(1)))
