"""Webhooks in, the slow part: turn stored Discourse deliveries into conduct events, identities
and spaces (in Celery, oldest first). Idempotent: a delivery is processed once, and ingesting an
event twice adds nothing.

The four jobs of the adapter stay apart: the forum is asked for review detail through the HTTP
client (``client``), payloads are read by pure functions (``payloads``), "what is new" was decided
when the delivery was stored (``dedupe``), and ``persist`` writes through the spine's services.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from community.models import ConductEvent
from community.services import lock_community
from community.vocabulary import EventKind
from integrations.discourse import payloads
from integrations.discourse.connection import client_for, record_permanent_error
from integrations.discourse.persist import persist_parsed
from integrations.http import CallError
from integrations.models import SOURCE, DeliveryStatus, DiscourseConnection, InboundDelivery

logger = logging.getLogger(__name__)

# Deliveries per drain task; a full batch means more are waiting and another drain follows.
DRAIN_BATCH = 500


class RetryLater(Exception):
    """Processing hit a transient problem (the forum did not answer); try again later."""


def process_delivery(*, delivery_id: int) -> InboundDelivery | None:
    """Turn one stored delivery into conduct events, identities and spaces. Idempotent."""
    delivery = (
        InboundDelivery.objects.select_related("connection__community")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status in (DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED):
        return delivery
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
            .filter(pk=delivery.pk, status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED))
            .first()
        )
        if locked is None:
            return InboundDelivery.objects.get(pk=delivery.pk)
        parsed = _parse(connection, locked, data, detail)
        persist_parsed(connection=connection, parsed=parsed)
        locked.status = DeliveryStatus.PROCESSED if parsed.events else DeliveryStatus.IGNORED
        if parsed.identities or parsed.topics:
            locked.status = DeliveryStatus.PROCESSED
        locked.attempts += 1
        locked.processed_at = timezone.now()
        locked.note = parsed.note[:300]
        locked.save(update_fields=["status", "attempts", "processed_at", "note"])
    return locked


def mark_delivery_failed(*, delivery_id: int, error: str) -> None:
    InboundDelivery.objects.filter(pk=delivery_id).exclude(
        status__in=(DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED)
    ).update(status=DeliveryStatus.FAILED, note=error[:300])


def _fetch_review_detail(
    connection: DiscourseConnection, reviewable: dict[str, Any]
) -> dict[str, Any] | None:
    if not connection.can_act:
        return None
    try:
        with client_for(connection) as client:
            detail = client.get_json(f"/review/{int(reviewable['id'])}.json")
    except CallError as exc:
        if not exc.permanent:
            raise RetryLater(str(exc)) from None
        record_permanent_error(
            connection=connection, message=f"GET /review/{reviewable['id']}.json: {exc}"
        )
        return None
    return detail if isinstance(detail, dict) else None


def _parse(
    connection: DiscourseConnection,
    delivery: InboundDelivery,
    data: dict[str, Any],
    detail: dict[str, Any] | None,
) -> payloads.Parsed:
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
        community = connection.community
        subject = payloads.post_external_id(facts.post_id)
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
        return payloads.parse_reviewable(
            name,
            facts,
            severity_for=connection.severity_for_flag,
            post_occurred_at=post.occurred_at if post else None,
            upheld_before=latest == EventKind.FLAG_UPHELD,
            received_at=at,
        )
    return payloads.Parsed(note=f"{name}: unknown event, stored and acknowledged")


def drain_deliveries(*, limit: int = DRAIN_BATCH) -> int:
    """Process pending deliveries oldest first (so a post is known before the flag on it)."""
    ids = list(
        InboundDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return _process_all(ids)


def sweep_deliveries(*, older_than: timedelta = timedelta(seconds=60), limit: int = 200) -> int:
    """Process deliveries that were stored but never processed (broker down, worker lost, a
    forum that did not answer a detail fetch)."""
    cutoff = timezone.now() - older_than
    ids = list(
        InboundDelivery.objects.pending()
        .filter(received_at__lte=cutoff)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return _process_all(ids)


def _process_all(ids: list[int]) -> int:
    done = 0
    for delivery_id in ids:
        try:
            process_delivery(delivery_id=delivery_id)
            done += 1
        except RetryLater as exc:
            mark_delivery_failed(delivery_id=delivery_id, error=str(exc))
        except Exception as exc:
            logger.exception("delivery %s could not be processed", delivery_id)
            mark_delivery_failed(delivery_id=delivery_id, error=f"error: {exc}")
    return done
