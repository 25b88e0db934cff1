"""The Redis scenario: stop Redis for a while as signed Discourse webhooks arrive, then check
that every delivery was answered and stored once, budgets converge, and the cooldowns whose end
fell inside the fault have ended (and the forum was told)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from drill.forum import Deliveries
from drill.scenarios import (
    COMMUNITY,
    Drill,
    Result,
    _last_error,
    _poll,
    cooldown_ended,
    forum_lifted,
)
from drill.traffic import WebhookLog, deliver, percentile

# --- Scenario 2: stop Redis while webhooks arrive ----------------------------------------------


def redis_outage(drill: Drill, result: Result, cooldowns: Result) -> None:
    o, say, app = drill.options, drill.say, drill.app
    assert drill.api is not None
    builder = Deliveries(forum=drill.forum, secret=drill.secret, topic_id=drill.topic_id)
    log = WebhookLog()
    client = httpx.Client(base_url=app.web_url, timeout=60)
    pids = app.pids()
    lead, tail = 5.0, 10.0
    interval = 1.0 / o.webhook_rate
    outage = threading.Event()
    stop = threading.Event()

    def sender() -> None:
        n = 0
        while not stop.is_set():
            if n % 10 == 9 and n > 10:
                delivery = builder.flag_upheld(n)
            elif n % 20 == 15:
                delivery = builder.retry_of_last_post()
            else:
                delivery = builder.post(n)
            deliver(client, drill.webhook_path, delivery, log, in_outage=outage.is_set())
            n += 1
            time.sleep(interval)

    space_id = drill.declare_space(
        source="discourse",
        external_id=f"topic:{drill.topic_id}",
        name="Drill: the shared shed rota",
        kind="topic",
    )
    cooldown_end = lead + min(20.0, o.redis_outage / 2)
    cooldown_id, ends_at = drill.start_cooldown(space_id=space_id, seconds=cooldown_end)
    watch = drill.watch_cooldown(cooldown_id, ends_at)
    say(
        "did",
        f"started cooldown {cooldown_id} (slow mode) on Discourse topic {drill.topic_id}, "
        f"ending {cooldown_end:.0f} s from now, inside the outage",
    )
    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    say("did", f"sending signed Discourse webhooks at {o.webhook_rate:g}/s")
    time.sleep(lead)
    drill.redis.stop()
    outage.set()
    stopped_at = time.monotonic()
    say("did", f"stopped Redis (port {drill.redis.port}); everything queued in it is lost")
    time.sleep(o.redis_outage)
    drill.redis.start()
    outage.clear()
    back_at = time.monotonic()
    say("did", f"started Redis again after {back_at - stopped_at:.0f} s, empty")
    worker = app.procs["worker"]
    crashed = not worker.alive
    if crashed:
        # Not a failed check: workers run under a supervisor (make run restarts them too), and
        # the crash is kombu's Redis transport's (docs/drills.md, finding 2). Said every time.
        say(
            "found",
            f"the worker exited during the outage (code {worker.popen.returncode}): "
            f"{_last_error(worker.log_tail(400))}",
        )
    if crashed:
        # What a process supervisor (systemd Restart=always, Kubernetes) would do, so the
        # checks below still show whether anything is lost once a worker runs again.
        app.retire("worker")
        app.start_worker()
        say("did", "started a new worker, as a process supervisor would")
    time.sleep(tail)
    stop.set()
    thread.join()
    client.close()
    ok_answers = sum(n for status, n in log.statuses.items() if 200 <= status < 300)
    say(
        "found",
        f"{log.sent} deliveries: answers {dict(log.statuses)}, errors {dict(log.errors)}; "
        f"latency p50 {percentile(log.latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(log.latencies, 0.99) * 1000:.0f} ms; during the outage p50 "
        f"{percentile(log.during_outage, 0.5) * 1000:.0f} ms, max "
        f"{max(log.during_outage, default=0) * 1000:.0f} ms",
    )
    drill.check(
        result,
        "every delivery was answered 2xx, also while Redis was down",
        ok_answers == log.sent,
        f"{ok_answers} of {log.sent}",
    )

    def stored_once() -> dict[str, Any]:
        deliveries = drill.ask("deliveries", slug=COMMUNITY)
        if not deliveries.get("ok_call") or deliveries["unprocessed"]:
            return {}
        events = drill.ask("forum_events", slug=COMMUNITY, external_ids=log.expected)
        return events if events.get("ok") else {}

    events, seconds = _poll(stored_once, timeout=o.converge_timeout)
    if not events:
        events = drill.ask("forum_events", slug=COMMUNITY, external_ids=log.expected)
    deliveries = drill.ask("deliveries", slug=COMMUNITY)
    drill.check(
        result,
        "every delivery processed and every event stored exactly once",
        bool(events.get("ok")) and not deliveries.get("unprocessed"),
        f"{events.get('stored')} of {events.get('expected')} events, "
        f"{events.get('duplicated')} duplicated, deliveries {deliveries.get('by_status')}"
        + (
            f", processed {time.monotonic() - back_at:.0f} s after Redis returned"
            if seconds is not None
            else f", missing e.g. {events.get('missing_examples')}"
        ),
    )
    seconds, answer = drill.wait_converged(timeout=o.converge_timeout)
    total = None if seconds is None else time.monotonic() - back_at
    result.converge_seconds = total
    result.converge_label = "after Redis returned"
    if total is not None:
        say("found", f"budgets converged {total:.1f} s after Redis returned")
    drill.budgets_check(result, answer, seconds)
    drill.processes_survived(result, pids, ["web", "beat"])

    drill.later.append(lambda: cooldown_ended(drill, cooldowns, watch, "while Redis was out"))
    drill.later.append(lambda: forum_lifted(drill, cooldowns))
