"""Helpers for budget tests: conduct events through the spine's real ingest service."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from community.models import Community, Membership
from community.services import EventInput, ingest_events

_counter = iter(range(1, 10**9))


def event(
    kind: str,
    member: str = "42",
    *,
    at: datetime | None = None,
    subject: str = "",
    category: str = "",
    severity: str = "",
    external_id: str | None = None,
) -> EventInput:
    n = next(_counter)
    return EventInput(
        external_id=external_id or f"{kind}-{n}",
        kind=kind,
        occurred_at=at or timezone.now() - timedelta(hours=1),
        member_external_id=member,
        member_username=f"user{member}",
        subject=subject or f"p-{n}",
        category=category,
        severity=severity,
    )


def send(community: Community, *events: EventInput, source: str = "api") -> None:
    ingest_events(community=community, events=list(events), source=source)


def membership(community: Community, member: str = "42", source: str = "api") -> Membership:
    return Membership.objects.get(
        community=community, identities__source=source, identities__external_id=member
    )


def posts(n: int, member: str = "42", *, days_ago: float = 1) -> list[EventInput]:
    at = timezone.now() - timedelta(days=days_ago)
    return [event("post", member, at=at - timedelta(minutes=i)) for i in range(n)]
