"""Incident cost (DESIGN §3.5): the bad events of the incident's spaces between its start and
its resolution, and the share of each clause's budget they consumed.

Clauses live in the spine (the contract capability). This module reaches them through one small
interface, ``ClauseBudgetSource``, so the incident side does not depend on how clauses are
stored: ``clause_budgets`` asks the registered source and returns nothing when none is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from community.models import Community, ConductEvent, Space
from community.vocabulary import FRICTION_KINDS
from incidents.rules import ClauseBudget


class ClauseBudgetSource(Protocol):
    def __call__(
        self,
        *,
        community: Community,
        spaces: Sequence[Space],
        event_ids: Sequence[int],
        at: datetime,
    ) -> list[ClauseBudget]:
        """For each clause of ``community`` whose scope covers any of ``spaces``: its allowed
        bad events over its window ending at ``at``, and how many of ``event_ids`` (the
        incident's bad events) it counts as bad."""
        ...


_source: ClauseBudgetSource | None = None


def set_clause_budget_source(source: ClauseBudgetSource | None) -> ClauseBudgetSource | None:
    """Register the source (returns the previous one, so tests can restore it)."""
    global _source
    previous, _source = _source, source
    return previous


def bad_event_ids(*, spaces: Sequence[Space], start: datetime, end: datetime) -> list[int]:
    """Friction events in the spaces whose behaviour happened in [start, end]."""
    if not spaces:
        return []
    return list(
        ConductEvent.objects.filter(
            space__in=spaces,
            kind__in=FRICTION_KINDS,
            occurred_at__gte=start,
            occurred_at__lte=end,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def clause_budgets(
    *, community: Community, spaces: Sequence[Space], event_ids: Sequence[int], at: datetime
) -> list[ClauseBudget]:
    if _source is None:
        return []
    return _source(community=community, spaces=spaces, event_ids=event_ids, at=at)
