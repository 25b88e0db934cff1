"""Helpers for the social contract tests: a published clause and batches of events."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from community.contract.services import publish_contract, save_clause
from community.contract.slo import ClauseDefinition
from community.models import Clause, Community
from community.services import EventInput, ingest_events

HOSTILITY = ClauseDefinition(
    title="Disagree without hostility",
    wording="Argue with ideas, not with people.",
    total_kinds=("post",),
    bad_kinds=("flag_upheld",),
    bad_categories=("inappropriate",),
    target=Decimal("0.98"),
)


def published_clause(
    community: Community,
    definition: ClauseDefinition = HOSTILITY,
    summary: str = "First",
    at: datetime | None = None,
) -> Clause:
    """A clause, published (at ``at``: publishing backfills a month of daily history)."""
    clause = save_clause(community=community, definition=definition)
    with time_machine.travel(at or timezone.now(), tick=False):
        publish_contract(community=community, summary=summary, by=None)
    clause.refresh_from_db()
    return clause


def posts_and_flags(
    community: Community,
    *,
    posts: int,
    flags: int,
    at: datetime,
    recorded_at: datetime | None = None,
    space: str = "2",
    prefix: str = "e",
    category: str = "inappropriate",
    spread: timedelta = timedelta(0),
) -> list[EventInput]:
    """``posts`` posts at ``at`` (spread evenly over ``spread``), the first ``flags`` of them
    upheld for ``category``; flags recorded at ``recorded_at`` (default: ``at``)."""
    items = []
    for n in range(posts):
        when = at + spread * n / max(posts, 1)
        pid = f"{prefix}-post-{n}"
        items.append(
            EventInput(
                external_id=pid,
                kind="post",
                occurred_at=when,
                member_external_id=str(100 + n % 7),
                space_external_id=space,
                space_name=f"Space {space}",
                subject=pid,
                recorded_at=when,
            )
        )
        if n < flags:
            items.append(
                EventInput(
                    external_id=f"{prefix}-flag-{n}",
                    kind="flag_upheld",
                    occurred_at=when,
                    member_external_id=str(100 + n % 7),
                    space_external_id=space,
                    space_name=f"Space {space}",
                    subject=pid,
                    category=category,
                    recorded_at=recorded_at or when,
                )
            )
    ingest_events(community=community, events=items)
    return items
