"""The flow health board's read model: is each clause healthy, community-wide or in one space?

A fixed handful of queries whatever the data: the live clauses, their latest snapshots, one
point a day of the last 30 days (``DISTINCT ON`` in the database, not in Python), the top
friction categories, open alerts, open incidents, active cooldowns and members per tier; and
release health (``boards.releases``): the contract versions and forgiveness policy changes of
those 30 days, each clause before and after (a bounded number of changes, so of queries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber, TruncDate

from boards.releases import ReleaseChange, release_changes
from budgets.models import MemberBudget
from community.contract.slo import ClauseDefinition
from community.models import (
    Clause,
    ClauseAlert,
    ClauseSnapshot,
    Community,
    ConductEvent,
    Space,
    bad_event_q,
)
from community.tiers import Tier
from community.vocabulary import FRICTION_KINDS
from incidents.models import Cooldown, Incident

CHART_DAYS = 30
TOP_CATEGORIES = 5


@dataclass
class ClauseHealth:
    clause: Clause
    definition: ClauseDefinition
    status: ClauseSnapshot | None = None
    history: list[ClauseSnapshot] = field(default_factory=list)

    @property
    def tier(self) -> str:
        return self.status.tier if self.status and self.status.has_data else Tier.HEALTHY.value


@dataclass(frozen=True)
class FrictionCount:
    kind: str
    category: str
    count: int


@dataclass(frozen=True)
class FlowHealth:
    community: Community
    space: Space | None
    at: datetime
    clauses: list[ClauseHealth]
    friction: list[FrictionCount]
    alerts: list[ClauseAlert]
    incidents: list[Incident]
    cooldowns: list[Cooldown]
    tiers: list[tuple[str, int]]
    releases: list[ReleaseChange] = field(default_factory=list)

    @property
    def members_counted(self) -> int:
        return sum(count for _, count in self.tiers)


def scope_of(space: Space | None) -> str:
    """A snapshot's or alert's scope: "" community-wide, else the space's id."""
    return "" if space is None else str(space.pk)


def flow_health(*, community: Community, at: datetime, space: Space | None = None) -> FlowHealth:
    scope = scope_of(space)
    since = at - timedelta(days=CHART_DAYS)
    clauses: dict[int, ClauseHealth] = {}
    for clause in Clause.objects.live().filter(community=community):
        definition = clause.published_definition()
        if definition is not None:
            clauses[clause.pk] = ClauseHealth(clause, definition)
    current = ClauseSnapshot.objects.filter(
        clause_id__in=list(clauses), scope=scope, bucket__gte=since
    ).latest_per_clause()
    for snap in current:
        clauses[snap.clause_id].status = snap
    # Each clause's last snapshot of each day: a window function rather than PostgreSQL's
    # DISTINCT ON, which SQLite (make run) lacks.
    daily = (
        ClauseSnapshot.objects.filter(clause_id__in=list(clauses), scope=scope, bucket__gte=since)
        .annotate(day=TruncDate("bucket"))
        .annotate(
            newest=Window(
                RowNumber(), partition_by=[F("clause_id"), F("day")], order_by=F("bucket").desc()
            )
        )
        .filter(newest=1)
        .order_by("clause_id", "day")
    )
    for snap in daily:
        clauses[snap.clause_id].history.append(snap)
    events = ConductEvent.objects.filter(community=community).in_window(since, at)
    if space is not None:
        events = events.filter(space=space)
    friction = [
        FrictionCount(row["kind"], row["category"], row["n"])
        for row in events.filter(bad_event_q(FRICTION_KINDS, community_id=community.pk, as_of=at))
        .values("kind", "category")
        .annotate(n=Count("id"))
        .order_by("-n", "kind", "category")[:TOP_CATEGORIES]
    ]
    alerts = ClauseAlert.objects.open().filter(clause__community=community)
    incidents = Incident.objects.for_community(community).open()
    cooldowns = Cooldown.objects.filter(community=community).active()
    if space is not None:
        alerts = alerts.filter(scope=scope)
        incidents = incidents.filter(spaces=space)
        cooldowns = cooldowns.filter(space=space)
    tier_counts = dict(
        MemberBudget.objects.filter(community=community)
        .values_list("tier")
        .annotate(n=Count("membership_id"))
        .order_by()
    )
    return FlowHealth(
        community=community,
        space=space,
        at=at,
        clauses=list(clauses.values()),
        friction=friction,
        alerts=list(alerts.select_related("clause", "space").order_by("-fired_at")),
        incidents=list(incidents.order_by("-declared_at")),
        cooldowns=list(cooldowns.select_related("space").order_by("ends_at")),
        tiers=[(tier.value, tier_counts.get(tier.value, 0)) for tier in Tier],
        releases=release_changes(
            community=community, since=since, at=at, clauses=[h.clause for h in clauses.values()]
        ),
    )
