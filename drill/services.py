"""Private PostgreSQL and Redis for a drill: started on spare ports in a temporary folder and
stopped afterwards. Never the machine's shared servers: each one is a new server process with
its own data directory, and only processes this module started are ever stopped."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

# Ports a developer's own servers usually hold; a spare port is never one of them.
SHARED_PORTS = frozenset({5432, 6379})


class ServiceError(RuntimeError):
    """A private service could not be started or stopped; the message says why."""


def spare_port() -> int:
    """A free TCP port on 127.0.0.1 (the kernel picks one when binding to port 0)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in SHARED_PORTS:
            return port


def port_open(port: int, *, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(predicate: object, *, timeout: float, what: str, interval: float = 0.1) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise ServiceError(f"timed out after {timeout:.0f} s waiting for {what}")


def postgres_bin_dir() -> Path:
    """Debian's server binaries (``/usr/lib/postgresql/<version>/bin``), the newest version."""
    found = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        bin_dir = Path(initdb).parent
        if (bin_dir / "pg_ctl").exists() and (bin_dir / "postgres").exists():
            version = bin_dir.parent.name
            found.append((int(version) if version.isdigit() else 0, bin_dir))
    if not found:
        raise ServiceError(
            "No PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install Debian's "
            "postgresql package (initdb, pg_ctl and postgres are needed; no server has to run)."
        )
    return max(found)[1]


def redis_server_path() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise ServiceError("No redis-server on PATH: install Debian's redis-server package.")
    return path


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1:<spare port>.

    As root the server binaries run as the ``postgres`` OS user (PostgreSQL refuses to run as
    root), and the folder belongs to that user.
    """

    def __init__(self, *, root: Path, port: int | None = None) -> None:
        self.bin_dir = postgres_bin_dir()
        self.port = port or spare_port()
        self.root = root / "postgres"
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log_path = self.root / "postgres.log"
        self.started = False
        self._as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/drill"

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise ServiceError(
                f"{args[0]} failed ({result.returncode}): {(result.stderr or result.stdout)[-800:]}"
            )
        return result

    def _options(self) -> str:
        # A drill server: fast to start and to restart, loopback only, no durability beyond a
        # clean shutdown (a fast restart checkpoints first, so nothing committed is lost).
        return (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.socket_dir} -c fsync=off "
            "-c full_page_writes=off -c max_connections=100 -c shared_buffers=64MB"
        )

    def start(self) -> None:
        for folder in (self.data_dir, self.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            closed = [p for p in self.root.parents if not p.stat().st_mode & 0o001]
            if closed:
                raise ServiceError(
                    f"the postgres user cannot reach {closed[0]} (not traversable by others): "
                    "point TMPDIR at a folder it can reach"
                )
            user = pwd.getpwnam("postgres")
            for path in (self.root, self.data_dir, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.started = True
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_path), "-o", self._options(),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self.create_database("drill")

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def restart(self, *, mode: str = "fast") -> float:
        """``pg_ctl restart -m <mode>``; returns the seconds until it accepts connections."""
        started = time.monotonic()
        self._run(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_path), "-o", self._options(),
            "-m", mode, "-w", "-t", "60", "restart",
        )  # fmt: skip
        return time.monotonic() - started

    def pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            return int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        if not self.started:
            return
        pid = self.pid()
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", "stop")
        except (ServiceError, subprocess.TimeoutExpired):
            if pid is not None:
                _kill_pid(pid, signal.SIGQUIT)  # PostgreSQL's immediate shutdown
        self.started = False


class PrivateRedis:
    """``redis-server --port N --save "" --appendonly no``: no persistence, so a stop loses
    everything queued in it (the harsh case)."""

    def __init__(self, *, root: Path, port: int | None = None) -> None:
        self.server = redis_server_path()
        self.port = port or spare_port()
        self.root = root
        self.log_path = root / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                self.server,
                "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.root), "--protected-mode", "yes",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        wait_until(lambda: port_open(self.port), timeout=20, what=f"redis on port {self.port}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


def _kill_pid(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def make_root() -> Path:
    """The drill's temporary folder (the PostgreSQL data directory, logs, beat schedule)."""
    root = Path(tempfile.mkdtemp(prefix="csre-drill-"))
    root.chmod(0o755)
    return root
