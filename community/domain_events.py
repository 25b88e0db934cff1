"""Domain events: how the spine tells the rest of the system that something happened.

Two mechanisms, both owned here so that apps above the spine never import each other:

* ``conduct_events_recorded`` is a synchronous signal sent *inside* the ingest transaction with the
  newly stored events, so that, for example, the ledger's charges commit atomically with the
  events that caused them.
* ``record_domain_event`` writes an outbox row in the caller's transaction. After commit a Celery
  task hands each row to every registered subscriber (outbound webhooks, the forum adapter,
  incident detection). Subscribers must be idempotent: a row can be handed over more than once if
  a worker dies between the hand-over and marking it dispatched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from community.jobs import enqueue_after_commit
from community.models import Community, DomainEvent, DomainEventType, Space

logger = logging.getLogger(__name__)

# Sent with ``community``, ``events`` (a list of new ConductEvent rows) and ``imported`` (they came
# from outside, so a backdated one is imported history) inside the transaction.
conduct_events_recorded = Signal()

Subscriber = Callable[[DomainEvent], None]
_subscribers: dict[str, Subscriber] = {}


def subscribe(name: str, handler: Subscriber) -> None:
    """Register a subscriber under a stable name (re-registering replaces it)."""
    _subscribers[name] = handler


def unsubscribe(name: str) -> None:
    _subscribers.pop(name, None)


def subscribers() -> dict[str, Subscriber]:
    return dict(_subscribers)


def space_payload(space: Space | None) -> dict[str, Any] | None:
    """The ``space`` object of domain-event payloads (docs/domain-events.md): enough for the forum
    adapter to know, without a query, whether the space lives on a connected forum."""
    if space is None:
        return None
    return {
        "id": space.pk,
        "name": space.name,
        "kind": space.kind,
        "source": space.source,
        "external_id": space.external_id,
    }


def record_domain_event(
    *, community: Community, type: DomainEventType, payload: dict[str, Any]
) -> DomainEvent:
    """Record that something happened, in the caller's transaction; delivered after commit."""
    return record_domain_events(community=community, events=[(type, payload)])[0]


def record_domain_events(
    *, community: Community, events: Sequence[tuple[DomainEventType, dict[str, Any]]]
) -> list[DomainEvent]:
    """Record several (type, payload) events in one insert, with one dispatch after commit."""
    if not events:
        return []
    rows = DomainEvent.objects.bulk_create(
        [DomainEvent(community=community, type=type_, payload=payload) for type_, payload in events]
    )
    # If the broker is down the rows are safe in the outbox and the periodic sweep delivers them.
    enqueue_after_commit("community.dispatch_domain_events")
    return rows


def dispatch_pending(*, limit: int = 500) -> int:
    """Hand pending outbox rows to every subscriber, oldest first. Returns how many were handed.

    Rows are claimed with SKIP LOCKED (on PostgreSQL), so two workers never hand over the same
    row at once. A subscriber that raises leaves the row pending for the next sweep.
    """
    handed = 0
    with transaction.atomic():
        batch = list(
            DomainEvent.objects.filter(dispatched_at__isnull=True)
            .select_for_update(skip_locked=True)
            .select_related("community")
            .order_by("created_at")[:limit]
        )
        for event in batch:
            try:
                with transaction.atomic():
                    for name, handler in _subscribers.items():
                        logger.debug("domain event %s -> %s", event.type, name)
                        handler(event)
                    event.dispatched_at = timezone.now()
                    event.save(update_fields=["dispatched_at"])
                handed += 1
            except Exception:
                logger.exception("domain event %s (%s) not dispatched", event.pk, event.type)
    return handed
