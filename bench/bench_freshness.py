"""Freshness under load (`make bench BENCH=freshness`, issue 16 part 3; needs PostgreSQL and
Redis): how long an event takes to show in a member's budget and in a clause's SLI while signed
Discourse webhooks arrive at a steady 200 a second.

gunicorn (bench.common.start_gunicorn) serves the product on loopback against the benchmark's
own database; real Celery workers, started here as subprocesses on the Redis database of
``CELERY_BROKER_URL``, consume the product's queues as the README's deployment does: one for
``ingest``, one for ``recalc``, one for ``outbound`` and ``default`` (renamed ``bench-fresh-*``
by bench/freshness_settings.py, so a developer's own workers on that Redis are never involved).
No scheduler runs: what is measured is the path an event takes by itself, not the minutely sweeps.

1. The floor, the same pipeline's bare minimum under the same load: a bare view stores one row and
   sends one task on the ingest queue, which sends one on the recalc queue, which stamps the row
   (bench/freshness_urls.py, bench/freshness_tasks.py); sent -> stamped, per request.
2. The product: signed ``post_created`` and upheld-flag (``reviewable_transitioned_to``)
   deliveries shaped like the captured fixtures in tests/integrations/fixtures, one flag in ten,
   each flag on a different member's post, sent open-loop (each request at its planned moment,
   16 keep-alive connections, so a slow answer delays at most that connection) for the chosen
   time. Per event: sent -> the member's budget first showing the flag's charge (a trigger logs
   every budget write, bench/freshness_setup.py), and sent -> the first clause snapshot of an
   evaluation that began after the event was written. Events sent, stored and lost.

Target: p95 <= 2 s for both, nothing lost.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import common
from bench.results import Row

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests/integrations/fixtures"
SUFFIX = "bench_freshness"
SETTINGS = "bench.freshness_settings"
CONNECTIONS = 16
FLAG_EVERY = 10  # one delivery in ten is an upheld flag
TARGET_P95 = 2.0
# Per size: events a second, seconds of load, seconds of the floor's load, members, how long to
# wait for the last events to show.
SCALE = {
    "tiny": {"rate": 20, "seconds": 2, "floor_seconds": 1, "members": 50, "settle": 60},
    "small": {"rate": 200, "seconds": 15, "floor_seconds": 10, "members": 1000, "settle": 180},
    "full": {"rate": 200, "seconds": 60, "floor_seconds": 30, "members": 3000, "settle": 300},
}
# name, queues (unprefixed), concurrency: one worker per queue group, as README "Deploy" runs them.
WORKERS = (
    ("ingest", ("ingest",), 1),
    ("recalc", ("recalc",), 2),
    ("rest", ("outbound", "default"), 1),
)


def run() -> list[Row]:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith(("redis://", "rediss://")):
        print("  skipped: needs CELERY_BROKER_URL=redis://... for its workers")
        return [
            Row(
                figure="event -> member budget at 200 events/s",
                measured="not measured (no Redis)",
                floor="-",
                ratio=None,
                target=f"p95 <= {TARGET_P95:.0f} s, none lost",
                met=None,
            )
        ]
    scale = SCALE[common.size()]
    url = common.fresh_database(SUFFIX, settings=SETTINGS)
    print("  database ready", flush=True)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    processes: list[subprocess.Popen[bytes]] = []
    logs = Path(tempfile.mkdtemp(prefix="bench-freshness-"))
    try:
        setup = _setup(env, "create", str(scale["members"]))
        _purge(env)
        # Started together: on a loaded machine each takes up to a minute to be ready.
        for name, queues, concurrency in WORKERS:
            processes.append(_start_worker(env, logs, name, queues, concurrency))
        for name, _, _ in WORKERS:
            _wait_ready(logs / f"{name}.log", processes[[w[0] for w in WORKERS].index(name)])
        server, base = common.start_gunicorn(threads=8, env=env)
        processes.append(server)
        print(f"  ready: gunicorn and {len(WORKERS)} workers (logs in {logs})", flush=True)
        return _measure(env, setup, base, scale, logs)
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        _purge(env)
        if common.reuse_database():
            _setup(env, "drop")
        common.drop_database(SUFFIX)


def _setup(env: dict[str, str], action: str, *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.freshness_setup", action, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _queue_names(queues: tuple[str, ...]) -> str:
    return ",".join(f"bench-fresh-{q}" for q in queues)


def _purge(env: dict[str, str]) -> None:
    """Empty the benchmark's own queues (never the product's)."""
    names = _queue_names(("ingest", "recalc", "outbound", "default"))
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "purge", "-f", "-Q", names],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
    )


def _start_worker(
    env: dict[str, str], logs: Path, name: str, queues: tuple[str, ...], concurrency: int
) -> subprocess.Popen[bytes]:
    log_path = logs / f"{name}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            _queue_names(queues),
            f"--concurrency={concurrency}",
            "-n",
            f"bench-fresh-{name}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return process


def _wait_ready(log_path: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if " ready." in log_path.read_text(errors="replace"):
            return
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"a worker did not start:\n{log_path.read_text()[-3000:]}")


def _steady(
    base: str, make: Callable[[int], tuple[str, bytes, dict[str, str]]], count: int, rate: float
) -> dict[str, Any]:
    """Send ``count`` requests open-loop at ``rate`` a second over CONNECTIONS keep-alive
    connections: request i is due at start + i / rate, and connection k sends i = k, k + 16, ...
    A slow answer delays only its connection's next requests (its lag is recorded). Bounded:
    nothing is sent later than twice the planned time plus 30 s."""
    start = time.time() + 0.5
    deadline = start + 2 * count / rate + 30
    sent_at: dict[int, float] = {}
    lags: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def connection(k: int) -> None:
        with httpx.Client(base_url=base, timeout=10.0) as client:
            for i in range(k, count, CONNECTIONS):
                due = start + i / rate
                pause = due - time.time()
                if pause > 0:
                    time.sleep(pause)
                if time.time() > deadline:
                    return
                path, body, headers = make(i)
                at = time.time()
                try:
                    status = client.post(path, content=body, headers=headers).status_code
                except httpx.HTTPError as exc:
                    status, text = 0, type(exc).__name__
                else:
                    text = str(status)
                with lock:
                    sent_at[i] = at
                    lags.append(at - due)
                    if status >= 300 or status == 0:
                        errors.append(text)

    threads = [threading.Thread(target=connection, args=(k,)) for k in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    span = max(sent_at.values()) - min(sent_at.values()) if len(sent_at) > 1 else 0.0
    return {
        "sent_at": sent_at,
        "errors": errors,
        "rate": (len(sent_at) - 1) / span if span else 0.0,
        "lag_p99": common.percentile(lags, 0.99) if lags else 0.0,
    }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds")


class Deliveries:
    """Builds delivery i as it is sent (its times are the sending moment): a post by member
    i mod members, or every FLAG_EVERY-th an upheld flag on the first post of member f (the f-th
    flag), so each flag charges a different member and its post was sent well before it."""

    def __init__(self, setup: dict[str, Any]) -> None:
        self.post = json.loads((FIXTURES / "post_created.json").read_text())
        self.flag = json.loads((FIXTURES / "reviewable_approved.json").read_text())
        self.setup = setup
        self.members = int(setup["members"])
        self.first_user = int(setup["first_user_id"])
        self.record: dict[str, list[Any]] = {}
        sys.path.insert(0, str(ROOT))
        from integrations.signing import sign

        self.sign = sign

    def kind_of(self, i: int) -> str:
        return "flag" if i % FLAG_EVERY == FLAG_EVERY - 1 else "post"

    def post_number(self, i: int) -> int:
        """Which post (0, 1, ...) delivery i is, when it is a post."""
        return i - (i + 1) // FLAG_EVERY

    def __call__(self, i: int) -> tuple[str, bytes, dict[str, str]]:
        now = _iso(time.time())
        if self.kind_of(i) == "post":
            n = self.post_number(i)
            member = n % self.members
            template, data = self.post, copy.deepcopy(self.post["body"])
            data["post"].update(
                id=2_000_000 + n,
                user_id=self.first_user + member,
                username=f"bench_member_{member}",
                topic_id=90_000 + n % 40,
                topic_title=f"Bench topic {n % 40}",
                post_number=1 + n // 40,
                created_at=now,
                updated_at=now,
            )
        else:
            f = i // FLAG_EVERY
            member = f % self.members
            template, data = self.flag, copy.deepcopy(self.flag["body"])
            data["reviewable"].update(
                id=600_000 + f,
                post_id=2_000_000 + member,
                target_created_by_id=self.first_user + member,
                topic_id=90_000 + member % 40,
                created_at=now,
                post_updated_at=now,
            )
        body = json.dumps(data).encode()
        event_id = f"fresh-{i}"
        self.record[event_id] = [self.kind_of(i), 0.0, self.first_user + member]
        headers = {
            **template["headers"],
            "Content-Type": "application/json",
            "X-Discourse-Event-Id": event_id,
            "X-Discourse-Instance": str(self.setup["instance"]),
            "X-Discourse-Event-Signature": self.sign(str(self.setup["secret"]), body),
        }
        return str(self.setup["webhook_path"]), body, headers


def _floor_request(i: int) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps({"n": i, "sent": time.time(), "text": "x" * 1200}).encode()
    return "/bench/floor-task/", body, {"Content-Type": "application/json"}


def _settle(env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Wait until nothing is left to process and the logs stop growing (a recalculation clears
    its pending mark when it starts, so one quiet reading is not enough)."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    quiet = 0
    while time.monotonic() < deadline:
        state = _setup(env, "settled")
        quiet = quiet + 1 if state["settled"] and state == last else 0
        if quiet >= 2:
            return state
        last = state
        time.sleep(1.0)
    return last


def _ms(value: float) -> str:
    return "not shown" if value == float("inf") else f"{value * 1000:,.0f} ms"


def _ratio(value: float, floor: float) -> float | None:
    finite = value != float("inf") and floor not in (0.0, float("inf"))
    return value / floor if finite else None


def _spread(values: list[float], not_shown: int) -> tuple[float, float, float]:
    """p50, p95, p99, an event not shown by the end of the wait counting as infinitely late
    (so a backlog the workers never caught up with cannot flatter the figures)."""
    every = values + [float("inf")] * not_shown
    if not every:
        return (float("inf"),) * 3
    return (
        common.percentile(every, 0.50),
        common.percentile(every, 0.95),
        common.percentile(every, 0.99),
    )


def _measure(
    env: dict[str, str], setup: dict[str, Any], base: str, scale: dict[str, int], logs: Path
) -> list[Row]:
    rate, seconds = scale["rate"], scale["seconds"]
    floor_count = rate * scale["floor_seconds"]
    floor_load = _steady(base, _floor_request, floor_count, rate)
    _settle(env, scale["settle"])

    deliveries = Deliveries(setup)
    count = rate * seconds
    load = _steady(base, deliveries, count, rate)
    for i, at in load["sent_at"].items():
        deliveries.record[f"fresh-{i}"][1] = at
    sent = {k: v for k, v in deliveries.record.items() if v[1]}
    state = _settle(env, scale["settle"])
    record = logs / "sent.json"
    record.write_text(json.dumps(sent))
    found = _setup(env, "collect", str(record))

    flags = sum(1 for v in sent.values() if v[0] == "flag")
    lost = found["sent"] - found["stored"]
    floor = _spread(found["floor"], found["floor_stored"] - len(found["floor"]))
    # Stored but never processed, or processed and never in a budget or snapshot: not shown.
    budget = _spread(found["budget"], flags - len(found["budget"]))
    clause = _spread(found["clause"], found["sent"] - len(found["clause"]))
    print(
        f"{CONNECTIONS} connections, open-loop; workers: "
        + ", ".join(f"{n} ({'+'.join(q)}, {c})" for n, q, c in WORKERS)
    )
    print(
        f"  floor (bare view -> ingest task -> recalc task): {len(found['floor'])} of "
        f"{floor_count} at {floor_load['rate']:.0f}/s: p50 {_ms(floor[0])}, p95 {_ms(floor[1])}, "
        f"p99 {_ms(floor[2])}"
    )
    print(
        f"  webhooks: {found['sent']} sent at {load['rate']:.0f}/s for {seconds} s "
        f"({flags} upheld flags), {found['stored']} stored, {found['processed']} processed, "
        f"{lost} lost, {len(load['errors'])} errors; client lag p99 {_ms(load['lag_p99'])}"
    )
    print(
        f"  event -> member budget ({len(found['budget'])} flags): p50 {_ms(budget[0])}, "
        f"p95 {_ms(budget[1])}, p99 {_ms(budget[2])}; not shown {flags - len(found['budget'])}"
    )
    print(
        f"  event -> clause SLI ({len(found['clause'])} events, {found['snapshots']} snapshot "
        f"writes): p50 {_ms(clause[0])}, p95 {_ms(clause[1])}, p99 {_ms(clause[2])}; not shown "
        f"{found['sent'] - len(found['clause'])}"
    )
    if not state.get("settled"):
        print(f"  not settled after {scale['settle']} s: {state}")
        for name, _, _ in WORKERS:
            print(f"--- {name} worker log (tail) ---")
            print((logs / f"{name}.log").read_text(errors="replace")[-2000:])
    nothing_lost = lost == 0 and not load["errors"]
    label = f"at {rate} events/s for {seconds} s"
    target = f"p95 <= {TARGET_P95:.0f} s, none lost"
    floor_text = f"p95 {_ms(floor[1])} bare 2-task round trip"
    return [
        Row(
            figure=f"event -> member budget, {label} ({flags} upheld flags)",
            measured=f"p50 {_ms(budget[0])}, p95 {_ms(budget[1])}, p99 {_ms(budget[2])}",
            floor=floor_text,
            ratio=_ratio(budget[1], floor[1]),
            target=target,
            met=budget[1] <= TARGET_P95 and nothing_lost,
        ),
        Row(
            figure=f"event -> clause SLI, {label} ({found['sent']} events)",
            measured=f"p50 {_ms(clause[0])}, p95 {_ms(clause[1])}, p99 {_ms(clause[2])}",
            floor=floor_text,
            ratio=_ratio(clause[1], floor[1]),
            target=target,
            met=clause[1] <= TARGET_P95 and nothing_lost,
        ),
        Row(
            figure=f"webhooks {label}: sent / stored / lost",
            measured=f"{found['sent']} / {found['stored']} / {lost} ({load['rate']:.0f}/s sent)",
            floor="-",
            ratio=None,
            target="none lost",
            met=nothing_lost,
        ),
    ]
