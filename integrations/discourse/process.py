"""Webhooks in, the slow part: turn stored Discourse deliveries into conduct events, identities
and spaces (in Celery, oldest first). Idempotent: a delivery is processed once, and ingesting an
event twice adds nothing.

Every attempt is counted, including one that raises: a failed delivery is tried again by the
sweep after a growing pause, and after ``InboundDelivery.MAX_ATTEMPTS`` it becomes a dead letter
that waits for a moderator's *Try again*. The sweep takes never-tried deliveries first, so new
work is never starved behind failing work.

The four jobs of the adapter stay apart: the forum is asked for review detail through the HTTP
client (``client``), payloads are read by pure functions (``payloads``), "what is new" was decided
when the delivery was stored (``dedupe``), and ``persist`` writes through the spine's services.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from community.json_safety import printable
from community.models import ConductEvent
from community.services import ServiceError, lock_community
from community.vocabulary import EventKind
from integrations.discourse import payloads
from integrations.discourse.connection import client_for, record_permanent_error
from integrations.discourse.fields import forum_id
from integrations.discourse.persist import persist_parsed
from integrations.discourse.receive import schedule_drain
from integrations.http import CallError
from integrations.models import SOURCE, DeliveryStatus, DiscourseConnection, InboundDelivery
from integrations.retry import AttemptResult, Verdict, backoff_seconds, verdict_after

logger = logging.getLogger(__name__)

OPEN = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
FINISHED = (DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED)


# For a flag's subject: when its post was written, and the latest decision on it.
FlagLookup = Callable[[DiscourseConnection, str], tuple[datetime | None, str | None]]


class RetryLater(Exception):
    """Processing hit a transient problem (the forum did not answer); try again later."""


def process_delivery(
    *, delivery_id: int, recorded_at: datetime | None = None
) -> InboundDelivery | None:
    """Turn one stored delivery into conduct events, identities and spaces. Idempotent.

    ``recorded_at`` (``replay_discourse`` of a community's past): when the community learned
    of what the delivery says; its events are then imported history (docs/replay.md).

    One attempt: it ends processed, ignored, failed (to be tried again) or, after the last
    allowed attempt, a dead letter. Dead letters and finished deliveries are left as they are.
    """
    delivery = (
        InboundDelivery.objects.select_related("connection__community")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status not in OPEN:
        return delivery
    try:
        return _attempt(delivery, recorded_at)
    except RetryLater as exc:
        logger.warning("delivery %s: the forum did not answer: %s", delivery_id, exc)
        reason = f"The forum did not answer when asked for the flag's details ({exc})"
    except Exception as exc:
        logger.exception("delivery %s could not be processed", delivery_id)
        reason = f"Processing failed with an unexpected error ({type(exc).__name__}: {exc})"
    return record_failed_attempt(delivery_id=delivery_id, reason=reason)


def _attempt(delivery: InboundDelivery, recorded_at: datetime | None = None) -> InboundDelivery:
    connection = delivery.connection
    data = json.loads(delivery.body)
    detail = None
    reviewable = data.get("reviewable")
    if isinstance(reviewable, dict) and payloads.needs_review_detail(reviewable):
        detail = _fetch_review_detail(connection, reviewable)
    with transaction.atomic():
        # Serialise processing per community (as ingest does, with the same lock first), so
        # two workers never race to create the same new identity or space.
        lock_community(connection.community)
        locked = (
            InboundDelivery.objects.select_for_update()
            .filter(pk=delivery.pk, status__in=OPEN)
            .first()
        )
        if locked is None:
            return InboundDelivery.objects.get(pk=delivery.pk)
        parsed = _parse(connection, locked, data, detail)
        persist_parsed(connection=connection, parsed=parsed, recorded_at=recorded_at)
        locked.status = DeliveryStatus.PROCESSED if parsed.events else DeliveryStatus.IGNORED
        if parsed.identities or parsed.topics:
            locked.status = DeliveryStatus.PROCESSED
        locked.attempts += 1
        locked.next_attempt_at = None
        locked.processed_at = timezone.now()
        locked.note = parsed.note[:300]
        locked.save(update_fields=["status", "attempts", "next_attempt_at", "processed_at", "note"])
    return locked


def record_failed_attempt(*, delivery_id: int, reason: str) -> InboundDelivery | None:
    """Count a failed attempt: schedule the next one, or set the delivery aside after the last.

    ``reason`` is said to moderators as it is, so it is written in words."""
    now = timezone.now()
    reason = printable(reason, limit=220)
    with transaction.atomic():
        row = InboundDelivery.objects.select_for_update().filter(pk=delivery_id, status__in=OPEN)
        delivery = row.first()
        if delivery is None:
            return None  # finished meanwhile by another worker
        delivery.attempts += 1
        verdict = verdict_after(
            AttemptResult(ok=False, error=reason),
            attempt=delivery.attempts,
            max_attempts=InboundDelivery.MAX_ATTEMPTS,
        )
        if verdict is Verdict.RETRY:
            delay = backoff_seconds(
                delivery.attempts - 1, base=InboundDelivery.RETRY_BACKOFF_BASE_SECONDS
            )
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            delivery.note = (
                f"Attempt {delivery.attempts} of {InboundDelivery.MAX_ATTEMPTS} failed: {reason}"
            )
        else:
            delivery.status = DeliveryStatus.DEAD_LETTER
            delivery.next_attempt_at = None
            delivery.note = (
                f"Set aside after {delivery.attempts} attempts. {reason}. "
                "Once the cause is fixed, choose Try again."
            )
        delivery.note = delivery.note[:300]
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "note"])
    return delivery


def retry_delivery(*, delivery: InboundDelivery) -> InboundDelivery:
    """A moderator's *Try again*: a dead letter (or a failing delivery) starts over, with a fresh
    count of attempts, at the next drain."""
    with transaction.atomic():
        updated = InboundDelivery.objects.filter(
            pk=delivery.pk, status__in=(DeliveryStatus.DEAD_LETTER, DeliveryStatus.FAILED)
        ).update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=None,
            note="A moderator asked to try again.",
        )
        if not updated:
            raise ServiceError("This delivery is not waiting to be tried again.")
        schedule_drain()
    delivery.refresh_from_db()
    return delivery


def _fetch_review_detail(
    connection: DiscourseConnection, reviewable: dict[str, Any]
) -> dict[str, Any] | None:
    reviewable_id = forum_id(reviewable.get("id"))
    if not connection.can_act or reviewable_id is None:
        return None
    try:
        with client_for(connection) as client:
            detail = client.get_json(f"/review/{reviewable_id}.json")
    except CallError as exc:
        if not exc.permanent:
            raise RetryLater(str(exc)) from None
        record_permanent_error(
            connection=connection, message=f"GET /review/{reviewable_id}.json: {exc}"
        )
        return None
    return detail if isinstance(detail, dict) else None


def _parse(
    connection: DiscourseConnection,
    delivery: InboundDelivery,
    data: dict[str, Any],
    detail: dict[str, Any] | None,
    lookup: FlagLookup | None = None,
) -> payloads.Parsed:
    """What a delivery means. ``lookup`` says, for a flag, when its post was written and the
    latest decision on it (the batched drain passes its own; by default they are read)."""
    name, at = delivery.event_name, delivery.received_at
    if "ping" in data:
        return payloads.Parsed(note="ping: the forum can reach us")
    if isinstance(data.get("post"), dict):
        return payloads.parse_post(
            name, data["post"], received_at=at, include_private=connection.include_private_messages
        )
    if isinstance(data.get("topic"), dict):
        if name != "topic_created":
            return payloads.Parsed(note=f"{name}: stored only")
        return payloads.parse_topic(data["topic"])
    if isinstance(data.get("user"), dict):
        if name not in ("user_created", "user_updated", "user_suspended", "user_unsuspended"):
            return payloads.Parsed(note=f"{name}: stored only")
        return payloads.parse_user(name, data["user"], received_at=at)
    if isinstance(data.get("reviewable"), dict):
        facts = payloads.review_facts(data["reviewable"], detail)
        if facts is None:
            return payloads.Parsed(note="reviewable without a known status: stored only")
        subject = payloads.post_external_id(facts.post_id)
        post_occurred_at, latest = (lookup or _stored_flag_context)(connection, subject)
        return payloads.parse_reviewable(
            name,
            facts,
            severity_for=connection.severity_for_flag,
            post_occurred_at=post_occurred_at,
            upheld_before=latest == EventKind.FLAG_UPHELD,
            received_at=at,
            forum_url=connection.base_url,
        )
    return payloads.Parsed(note=f"{name}: unknown event, stored and acknowledged")


def _stored_flag_context(
    connection: DiscourseConnection, subject: str
) -> tuple[datetime | None, str | None]:
    community = connection.community
    post = (
        ConductEvent.objects.filter(
            community=community, source=SOURCE, external_id=subject, kind=EventKind.POST
        )
        .only("occurred_at")
        .first()
    )
    latest = (
        ConductEvent.objects.filter(
            community=community,
            source=SOURCE,
            subject=subject,
            kind__in=(EventKind.FLAG_UPHELD, EventKind.FLAG_REJECTED),
        )
        .order_by("-recorded_at", "-pk")
        .values_list("kind", flat=True)
        .first()
    )
    return (post.occurred_at if post else None), latest


def sweep_deliveries(*, older_than: timedelta = timedelta(seconds=60), limit: int = 200) -> int:
    """Process what the drain left: deliveries stored but never tried (broker down, worker
    lost), then failed ones whose next attempt is due. Never-tried deliveries come first, so
    however many keep failing, new work is never behind them; dead letters are not taken."""
    now = timezone.now()
    ids = list(
        InboundDelivery.objects.fresh(received_before=now - older_than).values_list(
            "pk", flat=True
        )[:limit]
    )
    if len(ids) < limit:
        retries = InboundDelivery.objects.due_retries(now=now).values_list("pk", flat=True)
        ids += list(retries[: limit - len(ids)])
    return _process_all(ids)


def _process_all(ids: list[int]) -> int:
    """Process each delivery once; returns how many ended processed or ignored."""
    done = 0
    for delivery_id in ids:
        delivery = process_delivery(delivery_id=delivery_id)
        if delivery is not None and delivery.status in FINISHED:
            done += 1
    return done
