"""Traffic the drill sends: REST event batches with retries, webhook deliveries, and a log of
what happened (status codes, failures, latencies) to report."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from drill.forum import Delivery

RETRYABLE = {429, 500, 502, 503, 504}
BATCH_TIMEOUT = 60.0


@dataclass
class Tally:
    """What a sender saw. ``failures`` counts refused or failed attempts by cause."""

    attempts: int = 0
    accepted: int = 0
    duplicates: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    failure_times: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self, cause: str) -> None:
        with self.lock:
            self.failures[cause] += 1
            self.failure_times.append(time.monotonic())

    def describe_failures(self) -> str:
        if not self.failures:
            return "none"
        return ", ".join(f"{n} x {cause}" for cause, n in self.failures.most_common())


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Api:
    """The REST API with one community key (``Authorization: Bearer``)."""

    def __init__(self, base_url: str, key: str) -> None:
        self.client = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=BATCH_TIMEOUT,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
        )

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, path: str, payload: object = None) -> httpx.Response:
        return self.client.request(method, path, json=payload)

    def send_batch(
        self, events: list[dict[str, Any]], tally: Tally, *, give_up_after: float = 180.0
    ) -> None:
        """POST one batch until it is accepted. A 5xx, a 429 or a connection error during a
        fault is expected: retry the same batch (ingest is idempotent), and count it."""
        deadline = time.monotonic() + give_up_after
        delay = 0.2
        while True:
            with tally.lock:
                tally.attempts += 1
            started = time.monotonic()
            try:
                response = self.client.post("/api/v1/events/", json={"events": events})
            except httpx.HTTPError as exc:
                tally.failed(type(exc).__name__)
            else:
                if response.status_code == 200:
                    body = response.json()
                    with tally.lock:
                        tally.accepted += int(body.get("accepted", 0))
                        tally.duplicates += int(body.get("duplicates", 0))
                        tally.latencies.append(time.monotonic() - started)
                    return
                if response.status_code not in RETRYABLE:
                    raise RuntimeError(
                        f"a batch was refused with {response.status_code}: {response.text[:300]}"
                    )
                tally.failed(f"HTTP {response.status_code}")
                if response.status_code == 429:
                    delay = max(delay, float(response.headers.get("Retry-After") or 1))
            if time.monotonic() > deadline:
                raise RuntimeError(f"a batch was not accepted within {give_up_after:.0f} s")
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def ago(rng: random.Random, *, days: float) -> str:
    at = datetime.now(UTC) - timedelta(seconds=rng.uniform(60, days * 86400))
    return at.isoformat()


def member_events(
    *,
    prefix: str,
    members: int,
    posts: int,
    charges: int,
    seed: int,
    first_member: int = 0,
) -> Iterator[dict[str, Any]]:
    """Events with ids ``<prefix>0, <prefix>1, ...``: for each member ``posts`` posts and
    ``charges`` moderator warnings of random severity, spread over the last 20 days."""
    rng = random.Random(seed)
    n = 0
    for m in range(first_member, first_member + members):
        member = {"external_id": str(100_000 + m), "username": f"member{m}"}
        space = {"external_id": f"space-{m % 12}", "name": f"Space {m % 12}"}
        for _ in range(posts):
            yield {
                "external_id": f"{prefix}{n}",
                "kind": "post",
                "occurred_at": ago(rng, days=20),
                "member": member,
                "space": space,
                "subject": f"{prefix}{n}",
            }
            n += 1
        for _ in range(charges):
            yield {
                "external_id": f"{prefix}{n}",
                "kind": "moderator_warning",
                "severity": rng.choice(("minor", "minor", "moderate", "severe")),
                "occurred_at": ago(rng, days=20),
                "member": member,
                "space": space,
                "subject": f"{prefix}{n}",
            }
            n += 1


def batches(events: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for event in events:
        batch.append(event)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def send_all(
    api: Api, all_batches: Iterator[list[dict[str, Any]]], *, threads: int, tally: Tally
) -> None:
    """Send every batch from ``threads`` senders; re-raise the first sender's error."""
    lock = threading.Lock()
    errors: list[BaseException] = []

    def sender() -> None:
        while not errors:
            with lock:
                batch = next(all_batches, None)
            if batch is None:
                return
            try:
                api.send_batch(batch, tally)
            except BaseException as exc:  # handed to the main thread
                errors.append(exc)

    workers = [threading.Thread(target=sender, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]


@dataclass
class WebhookLog:
    """Every webhook delivery's answer."""

    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    during_outage: list[float] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    sent: int = 0


def deliver(
    client: httpx.Client, path: str, delivery: Delivery, log: WebhookLog, *, in_outage: bool
) -> None:
    started = time.monotonic()
    log.sent += 1
    try:
        response = client.post(path, content=delivery.body, headers=delivery.headers)
    except httpx.HTTPError as exc:
        log.errors[type(exc).__name__] += 1
        return
    elapsed = time.monotonic() - started
    log.statuses[response.status_code] += 1
    log.latencies.append(elapsed)
    if in_outage:
        log.during_outage.append(elapsed)
    if response.status_code in (200, 202) and delivery.expects:
        log.expected.append(delivery.expects)
