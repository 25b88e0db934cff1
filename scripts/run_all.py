#!/usr/bin/env python3
"""Run the web server, a Celery worker and the Celery scheduler together; stop them together.

Usage: scripts/run_all.py HOST:PORT   (the Makefile's `make run` calls this with the venv's Python)

Ctrl-C (SIGINT) or SIGTERM stops all three. A worker or scheduler that exits on its own is started
again (as a process supervisor would: the Celery worker exits on some broker outages, and every
task is safe to run again), at most once every few seconds; if the web server exits, the others
are stopped too, so `make run` never leaves a half-running system behind.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

GRACE_SECONDS = 10
RESTART_DELAY_SECONDS = 5
RESTARTED = ("worker", "scheduler")


def main(address: str) -> int:
    python = sys.executable
    Path("var").mkdir(exist_ok=True)
    commands = {
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
        ],
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
    print("run-all: web, worker and scheduler stopped", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8000"))
