"""The app's real processes against the private services, as ``make run`` starts them (a web
server, a Celery worker, the Celery beat scheduler), plus the probe that reads the database.

Each process runs in its own session (process group), so killing "the worker" kills its pool
children too, as a crash or the OOM killer would, and stopping the drill leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from config import queues
from drill.services import PrivatePostgres, PrivateRedis, ServiceError, spare_port, wait_until

REPO = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 10


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class App:
    """Start, kill and stop the app's processes; every one of them is stopped in ``stop_all``."""

    def __init__(
        self,
        *,
        root: Path,
        postgres: PrivatePostgres,
        redis: PrivateRedis,
        chunk_size: int,
        web_workers: int = 2,
    ) -> None:
        self.root = root
        self.postgres = postgres
        self.redis = redis
        self.web_port = spare_port()
        self.web_workers = web_workers
        self.chunk_size = chunk_size
        self.procs: dict[str, Proc] = {}
        self.retired: list[Proc] = []
        self._workers_started = 0
        (root / "var").mkdir(exist_ok=True)
        (root / "logs").mkdir(exist_ok=True)
        self.secret_key = secrets.token_urlsafe(40)

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every app process: the private services only, production mode
        (so the drill exercises what a deploy runs), plain-text logs in the drill's folder."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
        env.update(
            DATABASE_URL=self.postgres.url,
            CELERY_BROKER_URL=self.redis.url,
            CELERY_TASK_ALWAYS_EAGER="false",
            DEBUG="false",
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SITE_URL=self.web_url,
            SECURE_SSL_REDIRECT="false",
            SESSION_COOKIE_SECURE="false",
            CSRF_COOKIE_SECURE="false",
            SECURE_HSTS_SECONDS="0",
            INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES="true",  # the fake forum is on 127.0.0.1
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            LOG_FORMAT="text",
            LOG_LEVEL="INFO",
            VAR_DIR=str(self.root / "var"),
            BUDGETS_RECALC_CHUNK_SIZE=str(self.chunk_size),
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(REPO),
        )
        env.update(extra)
        return env

    # --- One-off commands ---------------------------------------------------------------------

    def manage(self, *args: str, timeout: float = 300) -> str:
        """``manage.py <args>`` against the private services; returns stdout, raises on failure."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env(LOG_LEVEL="WARNING"),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise ServiceError(
                f"manage.py {' '.join(args[:2])} failed: {(result.stderr or result.stdout)[-800:]}"
            )
        return result.stdout

    # --- Long-running processes ---------------------------------------------------------------

    def _spawn(self, name: str, cmd: list[str], *, log_name: str = "", **env: str) -> Proc:
        log_path = self.root / "logs" / f"{log_name or name}.log"
        log = log_path.open("ab")
        popen = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        proc = Proc(name=name, popen=popen, log_path=log_path)
        self.procs[name] = proc
        return proc

    def start_web(self) -> Proc:
        proc = self._spawn(
            "web",
            [
                sys.executable, "-m", "gunicorn", "config.wsgi",
                "--bind", f"127.0.0.1:{self.web_port}",
                "--workers", str(self.web_workers), "--threads", "4",
                "--timeout", "60", "--graceful-timeout", "5",
            ],
        )  # fmt: skip

        def healthy() -> bool:
            if not proc.alive:
                raise ServiceError(f"the web server exited:\n{proc.log_tail()}")
            try:
                return httpx.get(f"{self.web_url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout=90, what="the web server", interval=0.3)
        return proc

    def start_worker(self) -> Proc:
        self._workers_started += 1
        name = f"drill-worker-{self._workers_started}"
        proc = self._spawn(
            "worker",
            [
                sys.executable, "-m", "celery", "-A", "config", "worker",
                "-Q", queues.worker_argument(),
                "--loglevel=INFO", "--concurrency=2", "-n", f"{name}@%h",
                "--without-gossip", "--without-mingle",
            ],
            log_name=name,
        )  # fmt: skip
        self._wait_for_log(proc, " ready.", what="the Celery worker")
        return proc

    def start_beat(self) -> Proc:
        return self._spawn(
            "beat",
            [
                sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
                f"--schedule={self.root / 'var' / 'celerybeat-schedule'}",
            ],
        )  # fmt: skip

    def _wait_for_log(self, proc: Proc, marker: str, *, what: str, timeout: float = 90) -> None:
        def ready() -> bool:
            if not proc.alive:
                raise ServiceError(f"{what} exited:\n{proc.log_tail()}")
            return marker in proc.log_tail(200)

        wait_until(ready, timeout=timeout, what=what, interval=0.3)

    def pids(self) -> dict[str, int]:
        return {name: p.popen.pid for name, p in self.procs.items() if p.alive}

    def retire(self, name: str) -> None:
        """Forget a process that exited by itself (its log stays)."""
        proc = self.procs.pop(name)
        _signal_group(proc.popen, signal.SIGKILL)  # any pool children it left behind
        self.retired.append(proc)

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children: a crash, not a shutdown."""
        proc = self.procs.pop(name)
        _signal_group(proc.popen, signal.SIGKILL)
        proc.popen.wait(timeout=10)
        self.retired.append(proc)

    def kill_pool(self, name: str) -> list[int]:
        """SIGKILL every pool child of a Celery worker; its main process lives on and forks new
        ones (a task's process crashing, not the whole worker). Returns the pids killed."""
        children = _children(self.procs[name].popen.pid)
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        return children

    def stop_all(self) -> None:
        procs = list(self.procs.values())
        for proc in procs:
            _signal_group(proc.popen, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for proc in procs:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc.popen, signal.SIGKILL)
                proc.popen.wait(timeout=10)
            # Pool children outlive a parent that was killed; the group is ours to clear.
            _signal_group(proc.popen, signal.SIGKILL)
        self.retired.extend(procs)
        self.procs.clear()


def _signal_group(popen: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The process was started in its own session, so its group id is its pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, sig)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


class Probe:
    """The read-only database probe (``drill/probe.py``) as a child process. Thread-safe:
    one question at a time."""

    def __init__(self, app: App) -> None:
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "drill.probe"],
            cwd=REPO,
            env=app.env(LOG_LEVEL="WARNING", DB_POOL_MAX_SIZE="0", DB_CONN_MAX_AGE="0"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(app.root / "logs" / "probe.log").open("ab"),
            text=True,
            start_new_session=True,
        )

    def ask(self, cmd: str, **args: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        with self.lock:
            self.process.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        if not line:
            raise ServiceError("the database probe exited (see logs/probe.log)")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
