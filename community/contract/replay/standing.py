"""A clause's standing at one past moment (DESIGN.md §3.1, §3.7): its SLI, remaining budget
and tier over the window ending then, counting only the events recorded by then (by
``occurred_at``; a flag rejected by then is not bad). One aggregate query."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count

from community.contract.counting import selectors
from community.contract.slo import SIX_PLACES, ClauseDefinition, Counts, clause_status
from community.models import ConductEvent


def standing_at(*, community_id: int, definition: ClauseDefinition, at: datetime) -> dict[str, Any]:
    total_q, bad_q = selectors(community_id, definition, at)
    rows = ConductEvent.objects.filter(
        community_id=community_id,
        occurred_at__gt=at - timedelta(days=definition.window_days),
        occurred_at__lte=at,
        recorded_at__lte=at,
    )
    if definition.spaces:
        rows = rows.filter(space_id__in=definition.spaces)
    counts = rows.aggregate(total=Count("pk", filter=total_q), bad=Count("pk", filter=bad_q))
    status = clause_status(
        target=definition.target, window=Counts(counts["total"], counts["bad"]), burn_windows={}
    )
    return {
        "title": definition.title,
        "total": status.total,
        "bad": status.bad,
        "sli": None if status.sli is None else str(status.sli.quantize(SIX_PLACES)),
        "budget_remaining": str(status.budget_remaining.quantize(SIX_PLACES)),
        "tier": status.tier.value,
        "window_days": definition.window_days,
    }
