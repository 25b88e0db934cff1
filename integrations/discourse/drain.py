"""The batched drain: many stored deliveries of one connection in one transaction.

Under a steady stream (docs/benchmarks.md, freshness) processing one delivery per transaction
costs about 37 queries each. Here one transaction per batch takes the community's lock once,
reads the batch's flag context in bulk, upserts identities and spaces once and calls
``ingest_events`` once over the merged events; each delivery keeps its own status and note.

The outcome equals processing the same deliveries one by one, oldest first:

* a name seen first creates the row with that name, the last non-empty one wins after;
* a flag reads the post and the latest decision on it as the earlier deliveries left them;
* the batch ends before a delivery whose flag needs the forum's review detail (HTTP), which
  ``process_delivery`` then handles alone, and before an event on a subject whose flag was
  rejected earlier in the batch (a merged charge pass would order charge and release otherwise);
* a payload that cannot be read fails alone; any other error rolls the batch back and each of
  its deliveries goes through ``process_delivery``.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from community.models import ConductEvent, Space, SpaceKind
from community.services import (
    EventInput,
    ingest_events,
    lock_community,
    upsert_identities,
    upsert_spaces,
)
from community.vocabulary import REVERSING_KINDS, EventKind
from integrations.discourse import payloads
from integrations.discourse.process import _parse, process_delivery, record_failed_attempt
from integrations.models import SOURCE, DeliveryStatus, DiscourseConnection, InboundDelivery

logger = logging.getLogger(__name__)

# Deliveries per drain task; a full one means more are waiting and another drain follows.
DRAIN_BATCH = 500
# Deliveries per transaction (the community's lock is held for one batch).
BATCH_SIZE = 200
FLAG_DECISIONS = (EventKind.FLAG_UPHELD, EventKind.FLAG_REJECTED)


def drain_deliveries(*, limit: int = DRAIN_BATCH, batch_size: int = BATCH_SIZE) -> int:
    """Process never-tried deliveries, per connection oldest first, in batches. Returns how many
    were taken: ``limit`` or more means more are waiting."""
    connections = list(
        InboundDelivery.objects.fresh()
        .order_by()
        .values_list("connection_id", flat=True)
        .distinct()
    )
    taken = 0
    for connection_id in connections:
        connection = DiscourseConnection.objects.select_related("community").get(pk=connection_id)
        while taken < limit:
            count = drain_batch(connection=connection, limit=min(batch_size, limit - taken))
            taken += count
            if count == 0:
                break
    return taken


def drain_batch(*, connection: DiscourseConnection, limit: int = BATCH_SIZE) -> int:
    """One batch of ``connection``'s fresh deliveries; returns how many were taken (processed
    in the batch, failed alone, or handed to ``process_delivery``)."""
    solo: int | None = None
    try:
        with transaction.atomic():
            taken, solo = _batch(connection, limit)
    except Exception:
        logger.exception("a batch of deliveries failed: processing them one by one")
        ids = list(
            InboundDelivery.objects.fresh()
            .filter(connection=connection)
            .order_by("received_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        for delivery_id in ids:
            process_delivery(delivery_id=delivery_id)
        return len(ids)
    if solo is not None:
        process_delivery(delivery_id=solo)
        taken += 1
    return taken


class _Names:
    """Names in the order deliveries gave them: first seen, last non-empty."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}
        self.last: dict[str, str] = {}

    def see(self, key: str, name: str) -> None:
        self.first.setdefault(key, name)
        if name:
            self.last[key] = name

    def write[T](
        self, upsert: Callable[[dict[str, str]], T], keys: Iterable[str] | None = None
    ) -> T:
        """Write the names as one-by-one processing leaves them: each key created with the name
        it was first seen with, then renamed where a later delivery gave another. ``keys``
        narrows which are written; returns what the first write returned."""
        wanted = set(self.first if keys is None else keys)
        created = upsert({k: v for k, v in self.first.items() if k in wanted})
        renamed = {k: v for k, v in self.last.items() if k in wanted and v != self.first.get(k)}
        if renamed:
            upsert(renamed)
        return created


def _batch(connection: DiscourseConnection, limit: int) -> tuple[int, int | None]:
    community = connection.community
    lock_community(community)
    rows = list(
        InboundDelivery.objects.select_for_update(skip_locked=True)
        .filter(connection=connection, status=DeliveryStatus.PENDING)
        .order_by("received_at", "pk")[:limit]
    )
    bodies: dict[int, Any] = {}
    for row in rows:
        try:
            bodies[row.pk] = json.loads(row.body)
        except ValueError as exc:
            bodies[row.pk] = exc
    context = _FlagContext(connection, rows, bodies)
    done: list[tuple[InboundDelivery, payloads.Parsed]] = []
    failed = 0
    solo: int | None = None
    rejected_subjects: set[str] = set()
    for row in rows:
        data = bodies[row.pk]
        reviewable = data.get("reviewable") if isinstance(data, dict) else None
        if (
            isinstance(reviewable, dict)
            and connection.can_act
            and payloads.needs_review_detail(reviewable)
        ):
            solo = row.pk
            break
        try:
            if isinstance(data, Exception):
                raise data
            parsed = context.parse(row, data)
        except Exception as exc:
            logger.exception("delivery %s could not be processed", row.pk)
            record_failed_attempt(
                delivery_id=row.pk,
                reason=f"Processing failed with an unexpected error ({type(exc).__name__}: {exc})",
            )
            failed += 1
            continue
        if any(e.subject in rejected_subjects for e in parsed.events):
            break  # the next batch starts with it (see the module's docstring)
        rejected_subjects |= {e.subject for e in parsed.events if e.kind in REVERSING_KINDS}
        context.saw(parsed)
        done.append((row, parsed))
    _persist(connection, [p for _, p in done])
    now = timezone.now()
    for row, parsed in done:
        has_rows = bool(parsed.events or parsed.identities or parsed.topics)
        row.status = DeliveryStatus.PROCESSED if has_rows else DeliveryStatus.IGNORED
        row.attempts += 1
        row.next_attempt_at = None
        row.processed_at = now
        row.note = parsed.note[:300]
    InboundDelivery.objects.bulk_update(
        [row for row, _ in done], ["status", "attempts", "next_attempt_at", "processed_at", "note"]
    )
    return len(done) + failed, solo


class _FlagContext:
    """What a flag's reading needs from the database (its post's time, the latest decision on
    it), read once for the batch and brought forward by the batch's own earlier events."""

    def __init__(
        self, connection: DiscourseConnection, rows: list[InboundDelivery], bodies: dict[int, Any]
    ) -> None:
        self.connection = connection
        subjects: set[str] = set()
        for row in rows:
            data = bodies[row.pk]
            reviewable = data.get("reviewable") if isinstance(data, dict) else None
            if isinstance(reviewable, dict):
                facts = payloads.review_facts(reviewable, None)
                if facts is not None and facts.post_id:
                    subjects.add(payloads.post_external_id(facts.post_id))
        community = connection.community
        self.posts: dict[str, datetime] = {}
        self.latest: dict[str, str] = {}
        self.stored: set[str] = set()
        if subjects:
            self.posts = dict(
                ConductEvent.objects.filter(
                    community=community,
                    source=SOURCE,
                    external_id__in=subjects,
                    kind=EventKind.POST,
                ).values_list("external_id", "occurred_at")
            )
            decisions = ConductEvent.objects.filter(
                community=community, source=SOURCE, subject__in=subjects, kind__in=FLAG_DECISIONS
            ).order_by("subject", "recorded_at", "pk")
            for subject, kind, external_id in decisions.values_list(
                "subject", "kind", "external_id"
            ):
                self.latest[subject] = kind
                self.stored.add(external_id)

    def parse(self, row: InboundDelivery, data: dict[str, Any]) -> payloads.Parsed:
        return _parse(self.connection, row, data, None, lookup=self.lookup)

    def lookup(
        self, connection: DiscourseConnection, subject: str
    ) -> tuple[datetime | None, str | None]:
        return self.posts.get(subject), self.latest.get(subject)

    def saw(self, parsed: payloads.Parsed) -> None:
        """Bring the context forward past one delivery's events (as if stored)."""
        for event in parsed.events:
            if event.kind == EventKind.POST:
                self.posts.setdefault(event.external_id, event.occurred_at)
            elif event.kind in FLAG_DECISIONS and event.external_id not in self.stored:
                self.stored.add(event.external_id)
                self.latest[event.subject] = event.kind


def _persist(connection: DiscourseConnection, parsed: list[payloads.Parsed]) -> None:
    """Write the batch's identities, spaces and events as one-by-one processing would."""
    community = connection.community
    people = _Names()
    categories = _Names()
    topics = _Names()
    parents: dict[str, str] = {}
    events: list[EventInput] = []
    for one in parsed:
        for ext_id, username in one.identities.items():
            people.see(ext_id, username)
        for topic in one.topics:
            if topic.category_id:
                categories.see(topic.category_id, topic.category_name)
                parents[topic.topic_id] = topic.category_id
            if topic.topic_id:
                topics.see(topic.topic_id, topic.title)
        events += one.events
    people.write(
        lambda names: upsert_identities(community=community, source=SOURCE, identities=names)
    )
    parent_ids = _category_spaces(connection, categories)
    spaces = _topic_spaces(community, topics)
    by_parent: dict[int, list[int]] = defaultdict(list)
    for topic_id, category_id in parents.items():
        space, parent_id = spaces.get(topic_id), parent_ids.get(category_id)
        if space is not None and parent_id and space.parent_id != parent_id:
            by_parent[parent_id].append(space.pk)
    for parent_id, space_ids in by_parent.items():
        Space.objects.filter(pk__in=space_ids).update(parent_id=parent_id)
    if events:
        # Names were written above in the deliveries' order; the events must not rename.
        merged = [replace(e, member_username="", space_name="") for e in events]
        ingest_events(community=community, events=merged, source=SOURCE)


def _category_spaces(connection: DiscourseConnection, categories: _Names) -> dict[str, int]:
    mapped = connection.category_spaces or {}
    parent_ids: dict[str, int] = {c: mapped[c] for c in categories.first if c in mapped}

    def upsert(names: dict[str, str]) -> dict[str, Space]:
        spaces: dict[str, tuple[str, str]] = {
            payloads.category_space_id(c): (n, SpaceKind.CATEGORY) for c, n in names.items()
        }
        return upsert_spaces(community=connection.community, source=SOURCE, spaces=spaces)

    created = categories.write(upsert, keys=[c for c in categories.first if c not in mapped])
    for c in categories.first:
        space = created.get(payloads.category_space_id(c))
        if space is not None:
            parent_ids[c] = space.pk
    return parent_ids


def _topic_spaces(community: Any, topics: _Names) -> dict[str, Space]:
    def upsert(names: dict[str, str]) -> dict[str, Space]:
        spaces: dict[str, tuple[str, str]] = {
            payloads.topic_space_id(t): (n, SpaceKind.TOPIC) for t, n in names.items()
        }
        return upsert_spaces(community=community, source=SOURCE, spaces=spaces)

    found = topics.write(upsert)
    return {
        t: found[payloads.topic_space_id(t)]
        for t in topics.first
        if payloads.topic_space_id(t) in found
    }
