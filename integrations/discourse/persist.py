"""Persistence of what a Discourse delivery meant, through the spine's services only: identities,
topic spaces under their category spaces, and conduct events."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from community.models import Space, SpaceKind
from community.services import ingest_events, upsert_identities, upsert_spaces
from integrations.discourse import payloads
from integrations.models import SOURCE, DiscourseConnection


def persist_parsed(
    *, connection: DiscourseConnection, parsed: payloads.Parsed, recorded_at: datetime | None = None
) -> None:
    """Write what a delivery meant. With ``recorded_at`` (a replayed past) its events carry it,
    never before their own ``occurred_at``, as imported history."""
    community = connection.community
    if parsed.identities:
        upsert_identities(community=community, source=SOURCE, identities=parsed.identities)
    if parsed.topics:
        _upsert_topics(connection, parsed.topics)
    if parsed.events:
        events = parsed.events
        if recorded_at is not None:
            events = [replace(e, recorded_at=max(recorded_at, e.occurred_at)) for e in events]
        ingest_events(
            community=community, events=events, source=SOURCE, imported=recorded_at is not None
        )


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
