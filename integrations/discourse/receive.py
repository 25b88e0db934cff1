"""Webhooks in, the fast part: verify a Discourse delivery over its raw body, store it raw, answer.

Nothing is parsed into events here (``integrations.discourse.process`` does that in Celery): the
web request costs one INSERT, and a drain is scheduled at most twice per window per process
(``DrainWindow``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db import connection as db_connection

from community.jobs import enqueue_after_commit
from community.json_safety import json_problem, too_deep
from integrations.discourse.connection import cached_connection
from integrations.discourse.dedupe import content_key
from integrations.discourse.payloads import same_instance
from integrations.models import DiscourseConnection, InboundDelivery
from integrations.signing import signature_matches

logger = logging.getLogger(__name__)

# Discourse sends a few kilobytes per event; anything far bigger is not a webhook we want.
MAX_BODY_BYTES = 512 * 1024


@dataclass(frozen=True)
class Received:
    status_code: int
    message: str
    delivery: InboundDelivery | None = None
    duplicate: bool = False


def reject_delivery(connection_id: str | uuid.UUID, status_code: int, message: str) -> Received:
    # The rejected-delivery log line: nothing else is stored for a delivery we refuse.
    logger.warning(
        "discourse webhook rejected: connection=%s status=%s reason=%s",
        connection_id,
        status_code,
        message,
    )
    return Received(status_code=status_code, message=message)


def receive_delivery(
    *, connection_id: str | uuid.UUID, headers: Mapping[str, str], body: bytes
) -> Received:
    """Verify and store one Discourse delivery; processing happens in Celery after commit."""
    connection = cached_connection(connection_id)
    if connection is None:
        return reject_delivery(connection_id, 404, "unknown connection")
    if len(body) > MAX_BODY_BYTES:
        return reject_delivery(connection_id, 413, "body too large")
    if not signature_matches(
        connection.webhook_secret, body, headers.get("X-Discourse-Event-Signature")
    ):
        return reject_delivery(connection_id, 403, "bad or missing signature")
    if not same_instance(headers.get("X-Discourse-Instance"), connection.base_url):
        return reject_delivery(
            connection_id, 403, "X-Discourse-Instance is not the connected forum"
        )
    event_name = (headers.get("X-Discourse-Event") or "").strip()
    if not event_name or len(event_name) > 80:
        return reject_delivery(connection_id, 400, "missing X-Discourse-Event")
    try:
        # Discourse sends UTF-8; json.loads would guess UTF-16 or UTF-32 from raw bytes, which
        # we could then not store as the text we verified.
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return reject_delivery(connection_id, 400, "the body is not UTF-8 JSON")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return reject_delivery(connection_id, 400, "malformed JSON")
    if not isinstance(data, dict):
        return reject_delivery(connection_id, 400, "the body is not a JSON object")
    if too_deep(data):
        return reject_delivery(connection_id, 400, "the body is nested too deeply")
    kept_headers = {
        name: value
        for name, value in headers.items()
        if name.lower().startswith("x-discourse-") or name.lower() == "content-type"
    }
    if json_problem(kept_headers):
        return reject_delivery(connection_id, 400, "a Discourse header cannot be stored")
    event_id = (headers.get("X-Discourse-Event-Id") or "").strip()[:64]
    try:
        # Outside a transaction this is one round trip (the INSERT commits itself); inside one
        # (a replay, a test) the savepoint keeps a duplicate from spoiling the caller's work.
        with transaction.atomic() if db_connection.in_atomic_block else nullcontext():
            delivery = InboundDelivery.objects.create(
                connection_id=connection.pk,
                event_id=event_id,
                event_name=event_name,
                event_type=(headers.get("X-Discourse-Event-Type") or "")[:40],
                content_key=content_key(event_name, data, body)[:200],
                headers=kept_headers,
                body=text,
            )
    except IntegrityError:
        # Same event id, or a retry (new id) of content we already hold: acknowledge, store none.
        return Received(status_code=200, message="duplicate", duplicate=True)
    schedule_drain()
    return Received(status_code=202, message="stored", delivery=delivery)


# At most two drain tasks per web process per window, not one per delivery: a flame war arrives
# in bursts, and a Celery publish per delivery would cost more than storing it (see the benchmark).
DRAIN_WINDOW_SECONDS = 0.5


class DrainWindow:
    """When to drain after a delivery is stored: at once for the first delivery of a window
    (a lone event is processed without waiting out the window), and once more at the window's
    end for any that arrive during it; the rest of the window's deliveries are covered by that
    one. Under a steady stream that is two drains a window, each taking every delivery stored
    by then (docs/benchmarks.md, freshness)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = float("-inf")
        self._trailing = False

    def claim(self, now: float, window: float) -> float | None:
        """The countdown (seconds) of the drain to send now, or None when one already sent
        covers this delivery."""
        with self._lock:
            if now >= self._until:
                self._until = now + window
                self._trailing = False
                return 0.0
            if self._trailing:
                return None
            self._trailing = True
            return self._until - now


_window = DrainWindow()


def schedule_drain() -> None:
    """Make sure a drain runs after this moment (after the caller's commit). If the broker is
    down the deliveries stay stored and the periodic sweep processes them."""
    countdown = _window.claim(time.monotonic(), DRAIN_WINDOW_SECONDS)
    if countdown is None:
        return
    enqueue_after_commit(
        "integrations.drain_discourse_deliveries", countdown=countdown if countdown else None
    )


def recent_deliveries(connection: DiscourseConnection, limit: int = 20) -> list[InboundDelivery]:
    return list(connection.deliveries.order_by("-received_at", "-pk")[:limit])


def dead_letters(connection: DiscourseConnection, limit: int = 50) -> list[InboundDelivery]:
    """Deliveries set aside after repeated failures, for the moderators to see and try again."""
    return list(InboundDelivery.objects.filter(connection=connection).dead_letters()[:limit])
