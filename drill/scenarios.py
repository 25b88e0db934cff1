"""The fault scenarios. Each one says what it did and what it found, checks the outcome, and
measures the time to converge (until every budget equals the pure function again)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from drill.app import App, Probe
from drill.forum import Forum
from drill.services import PrivatePostgres, PrivateRedis
from drill.traffic import (
    Api,
    Tally,
    batches,
    member_events,
    send_all,
)

COMMUNITY = "drill"
POLL = 0.5


@dataclass
class Options:
    members: int
    posts: int
    charges: int
    chunk_size: int
    kill: str  # "worker": SIGKILL the whole worker; "pool": only its pool processes
    redis_outage: float
    webhook_rate: float
    pg_load_seconds: float
    cooldown_seconds: float
    converge_timeout: float
    seed: int = 7


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Result:
    scenario: str
    checks: list[Check] = field(default_factory=list)
    converge_seconds: float | None = None
    converge_label: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.checks) and all(c.ok for c in self.checks)


class Say:
    """Prints what the drill does and finds, with the seconds since the drill began."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def __call__(self, kind: str, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:7.1f}s] {kind:<6} {text}", flush=True)


@dataclass
class Drill:
    options: Options
    app: App
    postgres: PrivatePostgres
    redis: PrivateRedis
    forum: Forum
    say: Say
    probe: Probe | None = None
    api: Api | None = None
    secret: str = ""
    webhook_path: str = ""
    topic_id: int = 46_582
    loaded_prefixes: dict[str, int] = field(default_factory=dict)
    later: list[Callable[[], None]] = field(default_factory=list)  # checks run at the end

    # --- helpers -----------------------------------------------------------------------------

    def ask(self, cmd: str, **args: Any) -> dict[str, Any]:
        assert self.probe is not None
        return self.probe.ask(cmd, **args)

    def check(self, result: Result, name: str, ok: bool, detail: str = "") -> None:
        result.checks.append(Check(name, ok, detail))
        self.say("check", f"{'PASS' if ok else 'FAIL'}  {name}" + (f": {detail}" if detail else ""))

    def wait_converged(self, *, timeout: float) -> tuple[float | None, dict[str, Any]]:
        """Poll until nothing is dirty, no full run is owed, and every budget equals the pure
        function. Returns (seconds, last budgets answer); seconds is None on timeout."""
        started = time.monotonic()
        last: dict[str, Any] = {}
        while time.monotonic() - started < timeout:
            state = self.ask("state", slug=COMMUNITY)
            if state.get("ok_call") and not state["dirty"] and not state["full_requested"]:
                last = self.ask("budgets", slug=COMMUNITY)
                if last.get("ok"):
                    return time.monotonic() - started, last
            time.sleep(POLL)
        if not last:
            last = self.ask("budgets", slug=COMMUNITY)
        return None, last

    def budgets_check(self, result: Result, answer: dict[str, Any], seconds: float | None) -> None:
        members = answer.get("members", "?")
        if seconds is not None:
            self.check(
                result,
                "every member's stored budget equals the pure function",
                True,
                f"{members} members compared; tiers {answer.get('tiers')}",
            )
        else:
            self.check(
                result,
                "every member's stored budget equals the pure function",
                False,
                f"not within {self.options.converge_timeout:.0f} s: {_budget_problems(answer)}",
            )

    def processes_survived(self, result: Result, before: dict[str, int], names: list[str]) -> None:
        now = self.app.pids()
        gone = [n for n in names if now.get(n) != before.get(n)]
        self.check(
            result,
            f"{', '.join(names)} recovered by themselves (same processes, not restarted)",
            not gone,
            "" if not gone else f"exited: {', '.join(gone)}; " + self._tails(gone),
        )

    def _tails(self, names: list[str]) -> str:
        procs = {p.name: p for p in self.app.retired} | self.app.procs
        return " | ".join(f"{n}: {procs[n].log_tail(5)}" for n in names if n in procs)

    def start_cooldown(self, *, space_id: int, seconds: float) -> tuple[int, datetime]:
        assert self.api is not None
        ends_at = datetime.now(UTC) + timedelta(seconds=seconds)
        response = self.api.call(
            "POST",
            "/api/v1/cooldowns/",
            {
                "space_id": space_id,
                "mode": "slow_mode",
                "slow_mode_seconds": 60,
                "ends_at": ends_at.isoformat(),
            },
        )
        if response.status_code != 201:
            raise RuntimeError(f"starting a cooldown: {response.status_code} {response.text}")
        return int(response.json()["id"]), ends_at

    def declare_space(self, *, source: str, external_id: str, name: str, kind: str) -> int:
        assert self.api is not None
        response = self.api.call(
            "POST",
            "/api/v1/spaces/",
            {
                "source": source,
                "spaces": [{"external_id": external_id, "name": name, "kind": kind}],
            },
        )
        if response.status_code != 200:
            raise RuntimeError(f"declaring a space: {response.status_code} {response.text}")
        return int(response.json()[0]["id"])

    def watch_cooldown(self, pk: int, ends_at: datetime) -> CooldownWatch:
        watch = CooldownWatch(self, pk, ends_at, timeout=self.options.converge_timeout + 120)
        watch.start()
        return watch

    # --- set-up ------------------------------------------------------------------------------

    def load(self, *, prefix: str, members: int, first_member: int = 0) -> Tally:
        assert self.api is not None
        o = self.options
        tally = Tally()
        per_member = o.posts + o.charges
        started = time.monotonic()
        events = member_events(
            prefix=prefix,
            members=members,
            posts=o.posts,
            charges=o.charges,
            seed=o.seed + first_member,
            first_member=first_member,
        )
        send_all(self.api, batches(events, 1000), threads=3, tally=tally)
        elapsed = time.monotonic() - started
        self.loaded_prefixes[prefix] = members * per_member
        self.say(
            "did",
            f"sent {members * per_member:,} events for {members:,} members through "
            f"POST /api/v1/events/ in {elapsed:.1f} s "
            f"({members * per_member / elapsed:,.0f} events/s; retries: "
            f"{tally.describe_failures()})",
        )
        return tally


class CooldownWatch(threading.Thread):
    """Watches one cooldown from the side and notes when it is first seen ended."""

    def __init__(self, drill: Drill, pk: int, ends_at: datetime, *, timeout: float) -> None:
        super().__init__(daemon=True, name=f"cooldown-{pk}")
        self.drill, self.pk, self.ends_at, self.timeout = drill, pk, ends_at, timeout
        self.late: float | None = None  # seconds after its end at which it was seen ended
        self.answer: dict[str, Any] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        while not self.stop.is_set() and time.monotonic() < deadline:
            answer = self.drill.ask("cooldown", pk=self.pk)
            if answer.get("ok_call"):
                self.answer = answer
                if answer["ended_at"]:
                    late = (datetime.now(UTC) - self.ends_at).total_seconds()
                    self.late = max(0.0, late)
                    return
            self.stop.wait(POLL)

    def outcome(self) -> tuple[float | None, dict[str, Any]]:
        """Wait for the watch to finish (it ends when the cooldown ends, or times out)."""
        self.join(self.timeout)
        return self.late, self.answer


def _last_error(log: str) -> str:
    """The last exception line of a log (what made a process exit)."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line.split(":")[0] or "Unrecoverable" in line]
    return (errors or lines or ["(no log)"])[-1][:300]


def _budget_problems(answer: dict[str, Any]) -> str:
    if not answer.get("ok_call", True):
        return answer.get("error", "probe failed")
    return (
        f"{answer.get('mismatched')} differ from the pure function, {answer.get('missing')} "
        f"without a budget, {answer.get('stale')} older than their ledger, "
        f"{answer.get('old_policy')} on an old policy; e.g. {(answer.get('examples') or [])[:2]} "
        f"missing {answer.get('missing_examples')} stale {answer.get('stale_examples')}"
    )


# --- Scenario 1: kill the worker during a bulk recalculation ---------------------------------


def kill_worker(drill: Drill, result: Result, cooldowns: Result) -> None:
    o, say, app = drill.options, drill.say, drill.app
    assert drill.api is not None
    say("did", "waiting for the loaded budgets to settle before the fault")
    seconds, answer = drill.wait_converged(timeout=o.converge_timeout)
    if seconds is None:
        drill.check(result, "budgets settled after the load", False, _budget_problems(answer))
        return
    say("found", f"budgets settled {seconds:.1f} s after the load ({answer['members']:,} members)")

    space_id = drill.declare_space(
        source="api", external_id="space-0", name="Space 0", kind="category"
    )
    cooldown_id, ends_at = drill.start_cooldown(space_id=space_id, seconds=o.cooldown_seconds)
    watch = drill.watch_cooldown(cooldown_id, ends_at)
    say(
        "did",
        f"started cooldown {cooldown_id} on an API space, ending in {o.cooldown_seconds:.0f} s",
    )

    policy = drill.api.call("GET", "/api/v1/budget-policy/").json()
    floor = "7" if str(policy["floor_points"]).rstrip("0").rstrip(".") != "7" else "9"
    response = drill.api.call(
        "PUT", "/api/v1/budget-policy/", {"floor_points": floor, "note": "drill"}
    )
    if response.status_code != 200:
        raise RuntimeError(f"changing the policy: {response.status_code} {response.text}")
    version = int(response.json()["version"])
    changed_at = time.monotonic()
    say("did", f"changed the policy (floor {floor}, version {version}): a full recalculation")

    members = answer["members"]
    done = 0
    # Kill at about 40 %: enough whole chunks behind, most of the run still ahead.
    while time.monotonic() - changed_at < 60:
        done = int(drill.ask("progress", slug="drill", version=version).get("done", 0))
        if done >= members * 0.4:
            break
        time.sleep(0.02)
    if done >= members or done == 0:
        drill.check(
            result,
            "the worker was killed half-way through the recalculation",
            False,
            f"{done} of {members} written when the drill looked: use more --members "
            "or a smaller --chunk-size",
        )
        return
    if o.kill == "pool":
        killed = app.kill_pool("worker")
        what = f"SIGKILLed the worker's pool processes {killed} (its main process lives on)"
    else:
        app.kill("worker")
        what = "SIGKILLed the whole worker (main process and pool)"
    killed_at = time.monotonic()
    after = int(drill.ask("progress", slug="drill", version=version).get("done", 0))
    say(
        "did",
        f"{what} {killed_at - changed_at:.2f} s after the change, with {done:,}-{after:,} of "
        f"{members:,} budgets rewritten",
    )
    drill.check(
        result,
        "the worker was killed half-way through the recalculation",
        0 < after < members,
        f"{after:,} of {members:,} rewritten at the kill",
    )
    if o.kill == "worker":
        wait = max(0.0, (ends_at - datetime.now(UTC)).total_seconds()) + 2
        say("did", f"left the worker down for {wait:.0f} s, past cooldown {cooldown_id}'s end")
        time.sleep(wait)
        app.start_worker()
        say("did", f"started a new worker {time.monotonic() - killed_at:.1f} s after the kill")

    seconds, answer = drill.wait_converged(timeout=o.converge_timeout)
    total = None if seconds is None else time.monotonic() - killed_at
    result.converge_seconds = total
    result.converge_label = "after the kill"
    if total is not None:
        state = drill.ask("state", slug=COMMUNITY)
        full = state.get("last_full_seconds")
        say(
            "found",
            f"converged {total:.1f} s after the kill; the full recalculation that finished "
            f"took {full:.2f} s"
            if full is not None
            else f"converged {total:.1f} s after the kill",
        )
    drill.budgets_check(result, answer, seconds)

    down = "the worker was down" if o.kill == "worker" else "the worker's pool was killed"
    drill.later.append(lambda: cooldown_ended(drill, cooldowns, watch, f"while {down}"))


def cooldown_ended(drill: Drill, cooldowns: Result, watch: CooldownWatch, when: str) -> None:
    """Checked at the end of the drill; the watch has been looking since the cooldown began."""
    late, info = watch.outcome()
    if late is not None and late > (cooldowns.converge_seconds or 0):
        cooldowns.converge_seconds = late
        cooldowns.converge_label = "after its end (the latest)"
    drill.check(
        cooldowns,
        f"a cooldown whose end passed {when} has ended",
        late is not None,
        f"cooldown {watch.pk} seen ended {late:.0f} s after its end ({info.get('end_reason')})"
        if late is not None
        else f"cooldown {watch.pk} still active: {info}",
    )


def forum_lifted(drill: Drill, cooldowns: Result) -> None:
    def lifted() -> list[int]:
        calls = drill.forum.slow_mode_calls(drill.topic_id)
        return calls if calls and calls[-1] == 0 else []

    calls, _ = _poll(lifted, timeout=drill.options.converge_timeout)
    drill.check(
        cooldowns,
        "the forum was told: slow mode on, then off",
        bool(calls) and calls[0] > 0,
        f"slow-mode calls on the topic (seconds): {drill.forum.slow_mode_calls(drill.topic_id)}",
    )


# --- Scenario 3: restart PostgreSQL under load -------------------------------------------------


def postgres_restart(drill: Drill, result: Result) -> None:
    o, say, app = drill.options, drill.say, drill.app
    assert drill.api is not None
    api = drill.api
    pids = app.pids()
    tally = Tally()
    counter = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + o.pg_load_seconds
    errors: list[BaseException] = []
    members = max(1, min(o.members, 2_000))

    def next_batch() -> list[dict[str, Any]] | None:
        nonlocal counter
        with lock:
            if time.monotonic() > stop_at:
                return None
            start, counter = counter, counter + 200
        at = datetime.now(UTC)  # live traffic: the behaviour happened just now
        return [
            {
                "external_id": f"pg-{n}",
                "kind": "post" if n % 25 else "moderator_warning",
                "severity": "" if n % 25 else "minor",
                "occurred_at": at.isoformat(),
                "member": {
                    "external_id": str(100_000 + n % members),
                    "username": f"member{n % members}",
                },
                "space": {"external_id": f"space-{n % 12}", "name": f"Space {n % 12}"},
                "subject": f"pg-{n}",
            }
            for n in range(start, start + 200)
        ]

    def sender() -> None:
        while (batch := next_batch()) is not None:
            try:
                api.send_batch(batch, tally)
            except BaseException as exc:  # handed to the main thread
                errors.append(exc)
                return

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    say("did", f"sending event batches from 3 senders for {o.pg_load_seconds:.0f} s")
    time.sleep(o.pg_load_seconds / 3)
    restart_started = time.monotonic()
    took = drill.postgres.restart(mode="fast")
    say("did", f"pg_ctl restart -m fast: accepting connections again after {took:.1f} s")
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    failures_after = [t - restart_started for t in tally.failure_times if t >= restart_started]
    say(
        "found",
        f"{counter:,} events sent in {tally.attempts} requests; failed attempts (retried): "
        f"{tally.describe_failures()}"
        + (
            f", the last {max(failures_after):.1f} s after the restart began"
            if failures_after
            else ""
        )
        + f"; {tally.duplicates} events answered as duplicates on a retry",
    )
    seconds, answer = drill.wait_converged(timeout=o.converge_timeout)
    total = None if seconds is None else time.monotonic() - restart_started
    result.converge_seconds = total
    result.converge_label = "after the restart"
    events = drill.ask("events", slug=COMMUNITY, source="api", prefix="pg-", count=counter)
    drill.check(
        result,
        "every event stored exactly once (with its charge)",
        bool(events.get("ok")) and events.get("charges") == events.get("friction"),
        f"{events.get('stored')} of {events.get('expected')} stored, {events.get('duplicated')} "
        f"duplicated, {events.get('charges')} charges for {events.get('friction')} friction "
        f"events"
        + (f"; missing e.g. {events['missing_examples']}" if events.get("missing") else ""),
    )
    if total is not None:
        say("found", f"budgets converged {total:.1f} s after the restart began")
    drill.budgets_check(result, answer, seconds)
    ready = httpx.get(f"{app.web_url}/readyz", timeout=10)
    drill.check(result, "/readyz answers 200", ready.status_code == 200, f"{ready.status_code}")
    drill.processes_survived(result, pids, ["web", "worker", "beat"])


def _poll(predicate: Callable[[], Any], *, timeout: float) -> tuple[Any, float | None]:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        value = predicate()
        if value:
            return value, time.monotonic() - started
        time.sleep(POLL)
    return None, None
