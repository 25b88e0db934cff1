#!/usr/bin/env python3
"""Run the web server, two Celery workers and the Celery scheduler together; stop them together.

Usage: scripts/run_all.py HOST:PORT   (the Makefile's `make run` calls this with the venv's Python)

The workers: one consumes ``ingest`` and ``recalc``, the other ``outbound`` and ``default``
(config/queues.py). Ctrl-C (SIGINT) or SIGTERM stops them all. A worker or scheduler that exits
on its own is started again (as a process supervisor would: the Celery worker exits on some
broker outages, and every task is safe to run again), at most once every few seconds; if the web
server exits, the others are stopped too, so `make run` never leaves a half-running system behind.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import queues

GRACE_SECONDS = 10
RESTART_DELAY_SECONDS = 5
RESTARTED = ("worker", "worker-outbound", "scheduler")


def main(address: str) -> int:
    python = sys.executable
    Path("var").mkdir(exist_ok=True)
    # Two workers, not one per queue: on a laptop four would cost four Django processes for
    # little. What matters is that a stalled call to someone else's server (a slow forum, a burst
    # of outbound webhooks) cannot take the pool slots recalculation needs, so recalculation and
    # ingest share one worker and outbound calls and the rest have the other (README "Deploy").
    commands = {
        "worker": _worker(python, "ingest-recalc", queues.INGEST, queues.RECALC),
        "worker-outbound": _worker(python, "outbound-default", queues.OUTBOUND, queues.DEFAULT),
        "scheduler": [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel=INFO",
            "--schedule=var/celerybeat-schedule",
        ],
        "web": [python, "manage.py", "runserver", address],
    }
    processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    restart_at: dict[str, float] = {}
    while not stopping:
        for name, process in list(processes.items()):
            code = process.poll()
            if code is None:
                continue
            if name not in RESTARTED:
                print(f"run-all: {name} exited with {code}; stopping the others", flush=True)
                exit_code = code or 1
                stopping = True
                break
            due = restart_at.setdefault(name, time.monotonic() + RESTART_DELAY_SECONDS)
            if time.monotonic() >= due:
                print(f"run-all: {name} exited with {code}; starting it again", flush=True)
                processes[name] = subprocess.Popen(commands[name])
                del restart_at[name]
        time.sleep(0.3)

    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    for process in processes.values():
        remaining = max(0.1, deadline - time.monotonic())
        try:
            process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            process.kill()
    print("run-all: web, workers and scheduler stopped", flush=True)
    return exit_code


def _worker(python: str, name: str, *consumed: str) -> list[str]:
    return [
        python,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        queues.worker_argument(*consumed),
        "-n",
        f"{name}@%h",
        "--loglevel=INFO",
        "--concurrency=2",
    ]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8000"))
