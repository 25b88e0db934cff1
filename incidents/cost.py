"""Incident cost (DESIGN §3.5): the bad events of the incident's spaces between its start and
its resolution, and the share of each clause's budget they consumed.

Clauses belong to the social contract (``community.contract``). The incident side reaches them
through one small interface, ``ClauseBudgetSource``; the default source asks every live clause
whose scope covers one of the incident's spaces, through
``community.contract.evaluation.clause_budget_consumed``.
Tests (or another deployment) can register another source.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from django.utils import timezone

from community.contract.evaluation import clause_budget_consumed
from community.models import Clause, Community, ConductEvent, Space, bad_event_q
from community.vocabulary import FRICTION_KINDS
from incidents.rules import ClauseShare


class ClauseBudgetSource(Protocol):
    def __call__(
        self, *, community: Community, spaces: Sequence[Space], start: datetime, end: datetime
    ) -> list[ClauseShare]:
        """For each clause of ``community`` that covers any of ``spaces``: the share of its
        budget consumed by bad events in those spaces between ``start`` and ``end``."""
        ...


def live_clause_shares(
    *, community: Community, spaces: Sequence[Space], start: datetime, end: datetime
) -> list[ClauseShare]:
    """The default source: the community's live clauses, measured as published."""
    space_ids = {s.pk for s in spaces}
    if not space_ids:
        return []
    shares = []
    for clause in Clause.objects.live().filter(community=community).order_by("position", "pk"):
        definition = clause.published_definition()
        if definition is None:
            continue
        if definition.spaces and not space_ids & set(definition.spaces):
            continue  # a clause scoped to other spaces is not touched by this incident
        share = clause_budget_consumed(clause=clause, start=start, end=end, space_ids=space_ids)
        shares.append(ClauseShare(clause_id=clause.pk, title=definition.title, share=share))
    return shares


_source: ClauseBudgetSource = live_clause_shares


def set_clause_budget_source(source: ClauseBudgetSource) -> ClauseBudgetSource:
    """Register the source (returns the previous one, so tests can restore it)."""
    global _source
    previous, _source = _source, source
    return previous


def bad_event_ids(
    *, community: Community, spaces: Sequence[Space], start: datetime, end: datetime
) -> list[int]:
    """Bad events (the spine's one definition: a flag rejected later does not count) in the
    spaces whose behaviour happened in [start, end]."""
    if not spaces:
        return []
    return list(
        ConductEvent.objects.filter(space__in=spaces, occurred_at__gte=start, occurred_at__lte=end)
        .filter(bad_event_q(FRICTION_KINDS, community_id=community.pk, as_of=timezone.now()))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def clause_shares(
    *, community: Community, spaces: Sequence[Space], start: datetime, end: datetime
) -> list[ClauseShare]:
    return _source(community=community, spaces=spaces, start=start, end=end)
