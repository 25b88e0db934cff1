"""Loading a replay's history from the database once: the events the pure replay needs."""

from __future__ import annotations

from datetime import datetime, timedelta

from community.contract.replay.episodes import ReplayEvent
from community.contract.slo import ClauseDefinition
from community.models import ConductEvent
from community.vocabulary import REVERSING_KINDS


def load_events(
    *, community_id: int, definition: ClauseDefinition, start: datetime, end: datetime
) -> list[ReplayEvent]:
    """Events of the clause's kinds recorded in the longest alert window before ``start`` up to
    ``end``, and every reversing event recorded by ``end`` (one query, ordered)."""
    lookback = max(definition.burn_windows, default=0)
    reversers = [k for k, undone in REVERSING_KINDS.items() if undone in definition.bad_kinds]
    kinds = {*definition.total_kinds, *definition.bad_kinds}
    rows = ConductEvent.objects.filter(
        community_id=community_id,
        kind__in=kinds,
        recorded_at__gt=start - timedelta(minutes=lookback),
        recorded_at__lte=end,
    ) | ConductEvent.objects.filter(
        community_id=community_id, kind__in=reversers, recorded_at__lte=end
    )
    return [
        ReplayEvent(kind, occurred, recorded, space_id, category, subject)
        for kind, occurred, recorded, space_id, category, subject in rows.order_by(
            "recorded_at", "pk"
        ).values_list("kind", "occurred_at", "recorded_at", "space_id", "category", "subject")
    ]
