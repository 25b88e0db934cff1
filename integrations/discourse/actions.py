"""State changes of the integrations app: Discourse connections, inbound deliveries, forum actions
and outbound webhooks. Views, API views, tasks and commands are thin and call these.

Four concerns stay apart: HTTP (``http_client``), payload meaning (``discourse_payloads``), the
"what is new" decision (unique event id + content key at receive time, idempotent ingest), and
persistence (this module).
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
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from community.domain_events import record_domain_event
from community.models import Community, ConductEvent, DomainEvent, DomainEventType, Space, SpaceKind
from community.services import ServiceError, ingest_events, upsert_identities, upsert_spaces
from community.vocabulary import EventKind
from integrations import discourse_payloads as payloads
from integrations.addresses import InternalAddressError, check_public_url
from integrations.http_client import DiscourseClient, ForumError, dumps, post_signed
from integrations.models import (
    MIN_SECRET_LENGTH,
    SOURCE,
    ActionStatus,
    DeliveryStatus,
    DiscourseConnection,
    ForumAction,
    ForumActionAttempt,
    ForumActionKind,
    InboundDelivery,
    WebhookAttempt,
    WebhookDelivery,
    WebhookStatus,
    WebhookSubscription,
)
from integrations.signing import backoff_seconds, content_key, same_instance, sign, topic_id_of
from integrations.signing import signature_matches as _signature_matches

logger = logging.getLogger(__name__)

# What enqueueing raises when the broker is unreachable (anything else is a real error).
BROKER_ERRORS = (KombuOperationalError, ConnectionError, OSError)

# Discourse sends a few kilobytes per event; anything far bigger is not a webhook we want.
MAX_BODY_BYTES = 512 * 1024
HTTP_TIMEOUT = 10.0
FORUM_ACTION_MAX_ATTEMPTS = 6
WEBHOOK_MAX_ATTEMPTS = 8
# Domain-event types a subscription may ask for (docs/domain-events.md); "*" means all.
EVENT_TYPES: list[str] = list(DomainEventType.values)


# --- Connection -------------------------------------------------------------------------------


def _clean_base_url(base_url: str) -> str:
    value = base_url.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServiceError("The forum address must start with https:// (or http://).")
    if parts.query or parts.fragment:
        raise ServiceError("The forum address must not carry a query or fragment.")
    _refuse_internal(value, "forum")
    return value


def _refuse_internal(url: str, what: str) -> None:
    try:
        check_public_url(url, unresolvable_ok=True)
    except InternalAddressError as exc:
        raise ServiceError(f"The {what} address must be public: {exc}.") from None


def connect_discourse(
    *,
    community: Community,
    base_url: str,
    secret: str,
    api_key: str = "",
    api_username: str = "",
) -> DiscourseConnection:
    """Create or update a community's Discourse connection (one per community)."""
    url = _clean_base_url(base_url)
    if len(secret) < MIN_SECRET_LENGTH:
        raise ServiceError(
            f"The webhook secret must be at least {MIN_SECRET_LENGTH} characters "
            "(Discourse requires it)."
        )
    if bool(api_key) != bool(api_username):
        raise ServiceError("Give both the API key and the username it acts as, or neither.")
    existing = DiscourseConnection.objects.filter(community=community).first()
    if existing is not None:
        _forget_connection(existing)
    connection, _ = DiscourseConnection.objects.update_or_create(
        community=community,
        defaults={
            "base_url": url,
            "webhook_secret": secret,
            "api_key": api_key,
            "api_username": api_username,
        },
    )
    return connection


def update_discourse_mapping(
    *,
    connection: DiscourseConnection,
    category_spaces: Mapping[str, int],
    flag_severities: Mapping[str, str],
    include_private_messages: bool,
) -> DiscourseConnection:
    from community.vocabulary import Severity

    if any(not str(cat).isdigit() for cat in category_spaces):
        raise ServiceError("Discourse category ids are numbers.")
    spaces = set(
        Space.objects.filter(
            community_id=connection.community_id, pk__in=list(category_spaces.values())
        ).values_list("pk", flat=True)
    )
    unknown = [str(pk) for pk in category_spaces.values() if pk not in spaces]
    if unknown:
        raise ServiceError(f"No space with id {', '.join(unknown)} in this community.")
    bad = [f"{k}={v}" for k, v in flag_severities.items() if v not in Severity.values]
    if bad:
        raise ServiceError(
            f"Unknown severity in {', '.join(bad)}; use {', '.join(Severity.values)}."
        )
    connection.category_spaces = {str(k): int(v) for k, v in category_spaces.items()}
    connection.flag_severities = dict(flag_severities)
    connection.include_private_messages = include_private_messages
    connection.save(
        update_fields=["category_spaces", "flag_severities", "include_private_messages"]
    )
    return connection


def webhook_path(connection: DiscourseConnection) -> str:
    return reverse("integrations:discourse-webhook", kwargs={"connection_id": connection.pk})


def client_for(connection: DiscourseConnection) -> DiscourseClient:
    return DiscourseClient(
        base_url=connection.base_url,
        api_key=connection.api_key,
        api_username=connection.api_username,
        timeout=HTTP_TIMEOUT,
    )


def test_discourse_connection(*, connection: DiscourseConnection) -> DiscourseConnection:
    """Ask the forum who we are (``/session/current.json``) or, without a key, ``/site.json``."""
    path = "/session/current.json" if connection.can_act else "/site.json"
    try:
        with client_for(connection) as client:
            data = client.get_json(path)
    except ForumError as exc:
        ok, message = False, f"{path}: {exc}"
    else:
        if connection.can_act:
            user = (data or {}).get("current_user") or {}
            ok = bool(user.get("username"))
            message = (
                f"Connected as {user.get('username')}."
                if ok
                else f"{path} answered without a current user: check the API key."
            )
        else:
            ok, message = True, "The forum answered (no API key: actions are off)."
    connection.last_test_ok = ok
    connection.last_test_message = message[:300]
    connection.last_tested_at = timezone.now()
    connection.save(update_fields=["last_test_ok", "last_test_message", "last_tested_at"])
    return connection


def _record_permanent_error(connection: DiscourseConnection | None, message: str) -> None:
    if connection is None:
        return
    DiscourseConnection.objects.filter(pk=connection.pk).update(
        last_error=message[:500], last_error_at=timezone.now()
    )


def clear_connection_error(*, connection: DiscourseConnection) -> DiscourseConnection:
    connection.last_error = ""
    connection.last_error_at = None
    connection.save(update_fields=["last_error", "last_error_at"])
    return connection


# --- Webhooks in: receive -----------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    status_code: int
    message: str
    delivery: InboundDelivery | None = None
    duplicate: bool = False


# Webhook bursts look the same connection up again and again: keep it a few seconds per process.
CONNECTION_CACHE_SECONDS = 5.0
_connections: dict[str, tuple[float, DiscourseConnection]] = {}


def _cached_connection(connection_id: str | uuid.UUID) -> DiscourseConnection | None:
    key = str(connection_id)
    now = time.monotonic()
    hit = _connections.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    found = DiscourseConnection.objects.filter(pk=connection_id).first()
    if found is None:
        _connections.pop(key, None)
        return None
    if len(_connections) > 1000:
        _connections.clear()
    _connections[key] = (now + CONNECTION_CACHE_SECONDS, found)
    return found


def _forget_connection(connection: DiscourseConnection) -> None:
    _connections.pop(str(connection.pk), None)


def _reject(connection_id: str | uuid.UUID, status_code: int, message: str) -> Received:
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
    connection = _cached_connection(connection_id)
    if connection is None:
        return _reject(connection_id, 404, "unknown connection")
    if len(body) > MAX_BODY_BYTES:
        return _reject(connection_id, 413, "body too large")
    if not _signature_matches(
        connection.webhook_secret, body, headers.get("X-Discourse-Event-Signature")
    ):
        return _reject(connection_id, 403, "bad or missing signature")
    if not same_instance(headers.get("X-Discourse-Instance"), connection.base_url):
        return _reject(connection_id, 403, "X-Discourse-Instance is not the connected forum")
    event_name = (headers.get("X-Discourse-Event") or "").strip()
    if not event_name or len(event_name) > 80:
        return _reject(connection_id, 400, "missing X-Discourse-Event")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _reject(connection_id, 400, "malformed JSON")
    if not isinstance(data, dict):
        return _reject(connection_id, 400, "the body is not a JSON object")
    event_id = (headers.get("X-Discourse-Event-Id") or "").strip()[:64]
    kept_headers = {
        name: value
        for name, value in headers.items()
        if name.lower().startswith("x-discourse-") or name.lower() == "content-type"
    }
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
                body=body.decode(),
            )
    except IntegrityError:
        # Same event id, or a retry (new id) of content we already hold: acknowledge, store none.
        return Received(status_code=200, message="duplicate", duplicate=True)
    transaction.on_commit(schedule_drain)
    return Received(status_code=202, message="stored", delivery=delivery)


# One drain task per web process per window, not one task per delivery: a flame war arrives in
# bursts, and a Celery publish per delivery would cost more than storing it (see the benchmark).
DRAIN_WINDOW_SECONDS = 0.5
_drain_lock = threading.Lock()
_drain_until = 0.0


def schedule_drain() -> None:
    """Make sure a drain runs after this moment. Any delivery committed before the end of the
    current window is covered by the drain already scheduled for that end."""
    global _drain_until
    from integrations.tasks import drain_discourse_deliveries

    now = time.monotonic()
    with _drain_lock:
        if now < _drain_until:
            return
        _drain_until = now + DRAIN_WINDOW_SECONDS
    try:
        drain_discourse_deliveries.apply_async(countdown=DRAIN_WINDOW_SECONDS)
    except BROKER_ERRORS:
        # The broker is down: the delivery is stored and the periodic sweep will process it.
        with _drain_lock:
            _drain_until = 0.0
        logger.warning("could not enqueue the delivery drain; the periodic sweep will run it")


# --- Webhooks in: process -----------------------------------------------------------------------


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
        # Serialise processing per community (as ingest does), so two workers never race to
        # create the same new identity or space.
        Community.objects.select_for_update().filter(pk=connection.community_id).first()
        locked = (
            InboundDelivery.objects.select_for_update()
            .filter(pk=delivery.pk, status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED))
            .first()
        )
        if locked is None:
            return InboundDelivery.objects.get(pk=delivery.pk)
        parsed = _parse(connection, locked, data, detail)
        _persist(connection, parsed)
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
    except ForumError as exc:
        if not exc.permanent:
            raise RetryLater(str(exc)) from None
        _record_permanent_error(connection, f"GET /review/{reviewable['id']}.json: {exc}")
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


def _persist(connection: DiscourseConnection, parsed: payloads.Parsed) -> None:
    community = connection.community
    if parsed.identities:
        upsert_identities(community=community, source=SOURCE, identities=parsed.identities)
    if parsed.topics:
        _upsert_topics(connection, parsed.topics)
    if parsed.events:
        ingest_events(community=community, events=parsed.events, source=SOURCE)


def _upsert_topics(connection: DiscourseConnection, topics: list[payloads.TopicRef]) -> None:
    """Topic spaces, each under its category's space (mapped by a moderator or created)."""
    community = connection.community
    categories = {t.category_id: t.category_name for t in topics if t.category_id}
    mapped = {
        cat: connection.category_spaces[cat]
        for cat in categories
        if cat in (connection.category_spaces or {})
    }
    parents: dict[str, int] = dict(mapped)
    unmapped: dict[str, tuple[str, str]] = {
        payloads.category_space_id(cat): (name, SpaceKind.CATEGORY)
        for cat, name in categories.items()
        if cat not in mapped
    }
    if unmapped:
        created = upsert_spaces(community=community, source=SOURCE, spaces=unmapped)
        for cat in categories:
            space = created.get(payloads.category_space_id(cat))
            if space is not None:
                parents[cat] = space.pk
    wanted: dict[str, tuple[str, str]] = {
        payloads.topic_space_id(t.topic_id): (t.title, SpaceKind.TOPIC)
        for t in topics
        if t.topic_id
    }
    spaces = upsert_spaces(community=community, source=SOURCE, spaces=wanted)
    for topic in topics:
        space = spaces.get(payloads.topic_space_id(topic.topic_id))
        parent_id = parents.get(topic.category_id)
        if space is not None and parent_id and space.parent_id != parent_id:
            Space.objects.filter(pk=space.pk).update(parent_id=parent_id)


def drain_deliveries(*, limit: int = 500) -> int:
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


# --- Actions out ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedAction:
    action: str
    method: str
    params: dict[str, Any]


def _plan(event_type: str, payload: Mapping[str, Any]) -> list[PlannedAction]:
    mode = payload.get("mode")
    if (
        event_type in (DomainEventType.COOLDOWN_STARTED, DomainEventType.COOLDOWN_EXTENDED)
        and mode == "slow_mode"
    ):
        return [
            PlannedAction(
                ForumActionKind.SLOW_MODE,
                "PUT",
                {
                    "seconds": int(payload.get("slow_mode_seconds") or 0),
                    "enabled_until": payload.get("ends_at"),
                },
            )
        ]
    # Discourse's status endpoint has no end time, so a closed topic also gets a topic timer
    # that reopens it at the cooldown's end, even if we are down then.
    reopen_timer = PlannedAction(
        ForumActionKind.REOPEN_TIMER,
        "POST",
        {"time": payload.get("ends_at"), "status_type": "open"},
    )
    if event_type == DomainEventType.COOLDOWN_STARTED and mode == "read_only":
        return [
            PlannedAction(
                ForumActionKind.CLOSE_TOPIC, "PUT", {"status": "closed", "enabled": "true"}
            ),
            reopen_timer,
        ]
    if event_type == DomainEventType.COOLDOWN_EXTENDED and mode == "read_only":
        return [reopen_timer]
    if event_type == DomainEventType.COOLDOWN_ENDED and mode == "slow_mode":
        return [PlannedAction(ForumActionKind.LIFT_SLOW_MODE, "PUT", {"seconds": 0})]
    if event_type == DomainEventType.COOLDOWN_ENDED and mode == "read_only":
        return [
            PlannedAction(
                ForumActionKind.REOPEN_TOPIC, "PUT", {"status": "closed", "enabled": "false"}
            )
        ]
    if event_type == DomainEventType.NOTICE_REQUESTED:
        return [PlannedAction(ForumActionKind.POST_NOTICE, "POST", {"raw": payload.get("raw", "")})]
    return []


def _path(action: str, topic_id: str) -> str:
    if action in (ForumActionKind.SLOW_MODE, ForumActionKind.LIFT_SLOW_MODE):
        return f"/t/{topic_id}/slow_mode.json"
    if action in (ForumActionKind.CLOSE_TOPIC, ForumActionKind.REOPEN_TOPIC):
        return f"/t/{topic_id}/status.json"
    if action == ForumActionKind.REOPEN_TIMER:
        return f"/t/{topic_id}/timer.json"
    return "/posts.json"


CATEGORY_NOT_APPLIED = (
    "Discourse has no category-wide slow mode or notice: a cooldown on a category is not "
    "applied on the forum. Cool the heated topics instead."
)


def plan_forum_actions(*, event: DomainEvent) -> list[ForumAction]:
    """Subscriber for cooldown and notice events: record the forum calls to make (idempotent on
    the domain event) and enqueue them after commit."""
    payload = event.payload or {}
    space = payload.get("space") or {}
    if not isinstance(space, dict) or space.get("source") != SOURCE:
        return []
    connection = DiscourseConnection.objects.filter(community_id=event.community_id).first()
    if connection is None:
        return []
    planned = _plan(event.type, payload)
    if not planned:
        return []
    topic_id = (
        topic_id_of(str(space.get("external_id") or ""))
        if space.get("kind") == SpaceKind.TOPIC
        else None
    )
    space_pk = space.get("id")
    own_space = (
        Space.objects.filter(pk=space_pk, community_id=event.community_id).first()
        if isinstance(space_pk, int)
        else None
    )
    created: list[ForumAction] = []
    for plan in planned:
        params = dict(plan.params)
        if plan.action == ForumActionKind.POST_NOTICE and topic_id:
            params["topic_id"] = int(topic_id)
        action, new = ForumAction.objects.get_or_create(
            domain_event_id=event.pk,
            action=plan.action,
            defaults={
                "community_id": event.community_id,
                "connection": connection,
                "space": own_space,
                "topic_id": topic_id or "",
                "method": plan.method,
                "path": _path(plan.action, topic_id) if topic_id else "",
                "params": params,
                "incident_id": str(payload.get("incident_id") or ""),
                "cooldown_id": str(payload.get("cooldown_id") or ""),
                "notice_id": str(payload.get("notice_id") or ""),
            },
        )
        if not new:
            continue
        created.append(action)
        if topic_id is None:
            _finish_without_call(action, CATEGORY_NOT_APPLIED)
        elif not connection.can_act:
            _finish_without_call(
                action, "The Discourse connection has no API key: actions are off."
            )
        else:
            transaction.on_commit(partial(_enqueue_action, action.pk))
    return created


def _finish_without_call(action: ForumAction, reason: str) -> None:
    action.status = ActionStatus.SKIPPED
    action.last_error = reason[:500]
    action.finished_at = timezone.now()
    action.save(update_fields=["status", "last_error", "finished_at"])
    _announce_attempt(action, attempt=0, ok=False, status_code=None, error=reason, permanent=True)


def _enqueue_action(action_id: int, countdown: float = 0) -> None:
    from integrations.tasks import perform_forum_action as task

    try:
        if countdown:
            task.apply_async((action_id,), countdown=countdown)
        else:
            task.delay(action_id)
    except BROKER_ERRORS:
        logger.warning("could not enqueue forum action %s; the sweep will run it", action_id)


def _announce_attempt(
    action: ForumAction,
    *,
    attempt: int,
    ok: bool,
    status_code: int | None,
    error: str,
    permanent: bool,
) -> None:
    record_domain_event(
        community=action.community,
        type=DomainEventType.FORUM_ACTION_ATTEMPTED,
        payload={
            "action": action.action,
            "incident_id": _int_or_none(action.incident_id),
            "cooldown_id": _int_or_none(action.cooldown_id),
            "notice_id": _int_or_none(action.notice_id),
            "attempt": attempt,
            "ok": ok,
            "status_code": status_code,
            "error": error,
            "permanent": permanent,
        },
    )


def _int_or_none(value: str) -> int | str | None:
    if not value:
        return None
    return int(value) if value.isdigit() else value


def perform_forum_action(*, action_id: int) -> ForumAction | None:
    """Make one attempt at a forum call; schedule a retry with backoff if it was transient."""
    with transaction.atomic():
        action = (
            ForumAction.objects.select_for_update(of=("self",))
            .select_related("connection", "community")
            .filter(pk=action_id, status__in=(ActionStatus.PENDING, ActionStatus.RETRYING))
            .first()
        )
        if action is None or action.connection is None:
            return action
        attempt = action.attempts + 1
        status_code: int | None = None
        error, permanent, ok = "", False, False
        try:
            with client_for(action.connection) as client:
                reply = client.request(action.method, action.path, json_body=action.params)
            ok, status_code = True, reply.status_code
        except ForumError as exc:
            status_code, error, permanent = exc.status_code, str(exc), exc.permanent
        now = timezone.now()
        ForumActionAttempt.objects.create(
            forum_action=action,
            number=attempt,
            ok=ok,
            status_code=status_code,
            error=error[:500],
            permanent=permanent,
        )
        action.attempts = attempt
        action.last_status_code = status_code
        action.last_error = error[:500]
        if ok:
            action.status, action.finished_at, action.next_attempt_at = (
                ActionStatus.SUCCEEDED,
                now,
                None,
            )
        elif permanent:
            action.status, action.finished_at = ActionStatus.FAILED, now
            _record_permanent_error(
                action.connection,
                f"{action.get_action_display()}: {action.method} {action.path}: {error}",
            )
        elif attempt >= FORUM_ACTION_MAX_ATTEMPTS:
            action.status, action.finished_at = ActionStatus.GAVE_UP, now
        else:
            delay = backoff_seconds(attempt)
            action.status = ActionStatus.RETRYING
            action.next_attempt_at = now + timedelta(seconds=delay)
            transaction.on_commit(partial(_enqueue_action, action_id, delay))
        action.save()
        _announce_attempt(
            action,
            attempt=attempt,
            ok=ok,
            status_code=status_code,
            error=error,
            permanent=permanent or action.status == ActionStatus.GAVE_UP,
        )
    return action


def sweep_forum_actions(*, limit: int = 100) -> int:
    """Run retries whose time has come (in case the broker lost the delayed task)."""
    now = timezone.now()
    ids = list(
        ForumAction.objects.filter(
            Q(status=ActionStatus.RETRYING, next_attempt_at__lte=now - timedelta(seconds=30))
            | Q(status=ActionStatus.PENDING, created_at__lte=now - timedelta(seconds=60))
        ).values_list("pk", flat=True)[:limit]
    )
    for action_id in ids:
        perform_forum_action(action_id=action_id)
    return len(ids)


# --- Outbound webhooks --------------------------------------------------------------------------


def create_subscription(
    *, community: Community, url: str, secret: str, event_types: list[str], description: str = ""
) -> WebhookSubscription:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServiceError("The webhook address must be an http(s) URL.")
    _refuse_internal(url.strip(), "webhook")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ServiceError(f"The secret must be at least {MIN_SECRET_LENGTH} characters.")
    types = sorted(set(event_types))
    unknown = [t for t in types if t != "*" and t not in EVENT_TYPES]
    if unknown or not types:
        raise ServiceError(
            f"Choose event types from: {', '.join(EVENT_TYPES)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    return WebhookSubscription.objects.create(
        community=community,
        url=url.strip(),
        secret=secret,
        event_types=types,
        description=description.strip()[:200],
    )


def set_subscription_active(
    *, subscription: WebhookSubscription, active: bool
) -> WebhookSubscription:
    subscription.active = active
    subscription.save(update_fields=["active"])
    return subscription


def webhook_body(event: DomainEvent) -> bytes:
    return dumps(
        {
            "id": str(event.pk),
            "type": event.type,
            "community": event.community.slug,
            "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
            "data": event.payload,
        }
    )


def fan_out_webhooks(*, event: DomainEvent) -> list[WebhookDelivery]:
    """Subscriber: one delivery per matching subscription, idempotent on (subscription, event)."""
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(community_id=event.community_id, active=True)
        if s.wants(event.type)
    ]
    if not subscriptions:
        return []
    body = webhook_body(event).decode()
    created = []
    for subscription in subscriptions:
        delivery, new = WebhookDelivery.objects.get_or_create(
            subscription=subscription,
            event_id=event.pk,
            defaults={"event_type": event.type, "body": body},
        )
        if new:
            created.append(delivery)
            transaction.on_commit(partial(_enqueue_webhook, delivery.pk))
    return created


def _enqueue_webhook(delivery_id: int, countdown: float = 0) -> None:
    from integrations.tasks import deliver_webhook as task

    try:
        if countdown:
            task.apply_async((delivery_id,), countdown=countdown)
        else:
            task.delay(delivery_id)
    except BROKER_ERRORS:
        logger.warning("could not enqueue webhook delivery %s; the sweep will", delivery_id)


def signed_headers(*, secret: str, body: bytes, event_id: str, event_type: str) -> dict[str, str]:
    return {
        "X-CSRE-Signature": sign(secret, body),
        "X-CSRE-Event-Id": event_id,
        "X-CSRE-Event-Type": event_type,
        "X-CSRE-Timestamp": str(int(timezone.now().timestamp())),
    }


def deliver_webhook(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt at one delivery; retry with exponential backoff on failure."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription__community")
            .filter(pk=delivery_id, status__in=(WebhookStatus.PENDING, WebhookStatus.RETRYING))
            .first()
        )
        if delivery is None:
            return None
        body = delivery.body.encode()
        headers = signed_headers(
            secret=delivery.subscription.secret,
            body=body,
            event_id=str(delivery.event_id),
            event_type=delivery.event_type,
        )
        started = timezone.now()
        status_code: int | None = None
        error = ""
        try:
            status_code = post_signed(
                delivery.subscription.url, body, headers, timeout=HTTP_TIMEOUT
            )
        except ForumError as exc:
            status_code, error = exc.status_code, str(exc)
        now = timezone.now()
        delivery.attempts += 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            status_code=status_code,
            error=error[:500],
            duration_ms=int((now - started).total_seconds() * 1000),
        )
        delivery.last_status_code = status_code
        delivery.last_error = error[:500]
        if not error:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                WebhookStatus.DELIVERED,
                now,
                None,
            )
        elif delivery.attempts >= WEBHOOK_MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = WebhookStatus.FAILED, None
        else:
            delay = backoff_seconds(delivery.attempts)
            delivery.status = WebhookStatus.RETRYING
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            transaction.on_commit(partial(_enqueue_webhook, delivery_id, delay))
        delivery.save()
    return delivery


def redeliver_webhook(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (same body, fresh signature timestamp), whatever its state."""
    delivery.status = WebhookStatus.PENDING
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "next_attempt_at"])
    transaction.on_commit(lambda: _enqueue_webhook(delivery.pk))
    return delivery


def sweep_webhooks(*, limit: int = 200) -> int:
    now = timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(
            Q(status=WebhookStatus.RETRYING, next_attempt_at__lte=now - timedelta(seconds=30))
            | Q(status=WebhookStatus.PENDING, created_at__lte=now - timedelta(seconds=60))
        ).values_list("pk", flat=True)[:limit]
    )
    for delivery_id in ids:
        deliver_webhook(delivery_id=delivery_id)
    return len(ids)


# --- Subscribers ------------------------------------------------------------------------------

FORUM_EVENT_TYPES = frozenset(
    {
        DomainEventType.COOLDOWN_STARTED,
        DomainEventType.COOLDOWN_EXTENDED,
        DomainEventType.COOLDOWN_ENDED,
        DomainEventType.NOTICE_REQUESTED,
    }
)


def on_domain_event(event: DomainEvent) -> None:
    """The integrations app's outbox subscriber (registered in IntegrationsConfig.ready)."""
    if event.type in FORUM_EVENT_TYPES:
        plan_forum_actions(event=event)
    fan_out_webhooks(event=event)


# --- Replay -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayLine:
    headers: dict[str, str]
    body: bytes


def parse_replay_line(line: str, *, secret: str) -> ReplayLine:
    """One JSON line of a recorded delivery: ``{"headers": {...}, "body": {...} or "..."}``.

    Lines recorded without a signature (or for another secret) are signed with this
    connection's secret, so a community can test its setup with any captured file.
    """
    record = json.loads(line)
    if not isinstance(record, dict) or "headers" not in record or "body" not in record:
        raise ServiceError('each line must be {"headers": {...}, "body": ...}')
    raw = record["body"]
    body = raw.encode() if isinstance(raw, str) else json.dumps(raw).encode()
    headers = {str(k): str(v) for k, v in dict(record["headers"]).items()}
    if not _signature_matches(secret, body, headers.get("X-Discourse-Event-Signature")):
        headers["X-Discourse-Event-Signature"] = sign(secret, body)
    return ReplayLine(headers=headers, body=body)


def replay_delivery(*, connection: DiscourseConnection, line: ReplayLine) -> Received:
    headers = dict(line.headers)
    headers["X-Discourse-Instance"] = connection.base_url
    received = receive_delivery(connection_id=connection.pk, headers=headers, body=line.body)
    if received.delivery is not None:
        process_delivery(delivery_id=received.delivery.pk)
    return received


def recent_deliveries(connection: DiscourseConnection, limit: int = 20) -> list[InboundDelivery]:
    return list(connection.deliveries.order_by("-received_at", "-pk")[:limit])


def community_forum_actions(community: Community, limit: int = 20) -> list[ForumAction]:
    return list(
        ForumAction.objects.filter(community=community)
        .select_related("space")
        .order_by("-created_at", "-pk")[:limit]
    )
