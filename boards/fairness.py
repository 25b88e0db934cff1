"""The fairness board's read model (DESIGN.md §3.6): one aggregate query over the window, grouped
by tenure cohort and trust level, then the pure statistics of ``boards.fairness_math``.

The query's cost grows with the window's events, never its number of round trips: members are
put in their cohort inside the database and only the cohorts' sums come back (at most a few
dozen rows), so the board runs the same number of queries at 300 members and at 100,000.
PostgreSQL runs it as SQL of its own; SQLite (``make run``) the same counts as one ORM query,
and a test holds the two to the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.db.models.lookups import In
from django.utils.translation import gettext_lazy as _

from boards.fairness_math import CohortCounts, FairnessTable, compare_cohorts, most_common
from budgets.models import Appeal, AppealStatus, Charge, Forgiveness, MemberBudget
from community.models import Community, ConductEvent, Membership, Space
from community.tiers import Tier
from community.vocabulary import ACTIVITY_KINDS

MIN_WINDOW_DAYS, MAX_WINDOW_DAYS = 7, 365
DEFAULT_WINDOW_DAYS = 30
NEWCOMER_DAYS, LONG_STANDING_DAYS = 30, 365

NEWCOMERS, REGULARS, LONG_STANDING = "newcomers", "regulars", "long_standing"
TENURE_COHORTS = (NEWCOMERS, REGULARS, LONG_STANDING)
TENURE_WORDS = {
    NEWCOMERS: _("new members"),
    REGULARS: _("regulars"),
    LONG_STANDING: _("long-standing members"),
}
TENURE_DEFINITIONS = {
    NEWCOMERS: _("first seen under 30 days ago"),
    REGULARS: _("first seen between 30 days and a year ago"),
    LONG_STANDING: _("first seen over a year ago"),
}
TRUST_LEVELS = range(5)  # Discourse's trust levels 0 (new user) to 4 (leader)
TRUST_PREFIX = "trust_level_"
TRUST_WORDS = {
    0: _("members at trust level 0 (new users)"),
    1: _("members at trust level 1 (basic)"),
    2: _("members at trust level 2 (members)"),
    3: _("members at trust level 3 (regulars)"),
    4: _("members at trust level 4 (leaders)"),
}
BY_TENURE, BY_TRUST = "tenure", "trust_level"


def trust_cohort(level: int) -> str:
    return f"{TRUST_PREFIX}{level}"


def cohort_words(name: str) -> str:
    """A cohort's name in words, plural ("new members")."""
    if name.startswith(TRUST_PREFIX):
        return str(TRUST_WORDS[int(name.removeprefix(TRUST_PREFIX))])
    return str(TENURE_WORDS[name])


KNOWN_COHORTS = frozenset(TENURE_COHORTS) | {trust_cohort(level) for level in TRUST_LEVELS}

# PostgreSQL's query: one pass over the window's events per member (posts and the highest
# trust level the forum sent), the member's first event ever (their cohort), their charges in
# the window and their appeals, then sums per (cohort, trust level). The ORM cannot aggregate
# over a grouped pass like ``active`` (no derived tables): its version (``count_cohorts_neutral``)
# probes each active member's events per figure instead, 5 times slower at 20,000 members
# (1.3 s against 6.9 s), so PostgreSQL keeps this and other databases run that one.
FAIRNESS_SQL = """
WITH active AS (
    SELECT e.member_id,
           COUNT(*) FILTER (WHERE e.kind = ANY(%(activity)s)) AS posts,
           MAX(CASE WHEN e.payload->>'trust_level' ~ '^[0-4]$'
                    THEN (e.payload->>'trust_level')::int END) AS trust
    FROM {event} e
    WHERE e.community_id = %(community)s AND e.member_id IS NOT NULL
      AND e.occurred_at > %(start)s AND e.occurred_at <= %(end)s
      AND (%(space)s::bigint IS NULL OR e.space_id = %(space)s::bigint)
    GROUP BY e.member_id
),
firsts AS (
    -- One probe of the (member, occurred_at) index per active member: at 100,000 members a
    -- MIN() over every event they ever had read 3M index entries (2.3 s).
    SELECT act.member_id,
           (SELECT e.occurred_at FROM {event} e
            WHERE e.member_id = act.member_id AND e.community_id = %(community)s
              AND e.occurred_at <= %(end)s
            ORDER BY e.occurred_at LIMIT 1) AS first_at
    FROM active act
),
charged AS (
    SELECT c.membership_id,
           COUNT(*) FILTER (WHERE f.id IS NULL) AS charges,
           COUNT(a.id) FILTER (WHERE a.status <> %(pending)s) AS appealed,
           COUNT(a.id) FILTER (WHERE a.status = %(reversed)s) AS overturned
    FROM {charge} c
    LEFT JOIN {forgiveness} f ON f.charge_id = c.id
    LEFT JOIN {appeal} a ON a.charge_id = c.id
    LEFT JOIN {event} ce ON ce.id = c.event_id
    WHERE c.community_id = %(community)s
      AND c.occurred_at > %(start)s AND c.occurred_at <= %(end)s
      AND (%(space)s::bigint IS NULL OR ce.space_id = %(space)s::bigint)
    GROUP BY c.membership_id
)
SELECT CASE WHEN fi.first_at > %(newcomer_after)s THEN %(newcomers)s
            WHEN fi.first_at <= %(long_standing_before)s THEN %(long_standing)s
            ELSE %(regulars)s END AS cohort,
       act.trust,
       COUNT(*) AS members,
       COALESCE(SUM(act.posts), 0) AS posts,
       COALESCE(SUM(ch.charges), 0) AS charges,
       COUNT(*) FILTER (WHERE b.tier = ANY(%(worse)s)) AS warning_or_worse,
       COALESCE(SUM(ch.appealed), 0) AS appealed,
       COALESCE(SUM(ch.overturned), 0) AS overturned
FROM active act
JOIN firsts fi ON fi.member_id = act.member_id
LEFT JOIN charged ch ON ch.membership_id = act.member_id
LEFT JOIN {budget} b ON b.membership_id = act.member_id
GROUP BY 1, 2
""".format(  # noqa: UP032, S608 - table names from the models; every value is a parameter
    event=ConductEvent._meta.db_table,
    charge=Charge._meta.db_table,
    forgiveness=Forgiveness._meta.db_table,
    appeal=Appeal._meta.db_table,
    budget=MemberBudget._meta.db_table,
)


# Trust levels are read only where an event's payload carries a plain 0-4, as a JSON number
# or a string (Discourse posts do; other sources may not): anything else ("2a", 7, 2.5, true,
# null) is no trust level. Compared as text, which both databases give for both spellings.
PLAIN_TRUST_LEVELS = [str(level) for level in TRUST_LEVELS]
WORSE_TIERS = [Tier.WARNING.value, Tier.CRITICAL.value, Tier.EXHAUSTED.value]


def _per_member(rows: QuerySet[Any], column: str, aggregate: Aggregate) -> Subquery:
    """The outer membership's ``aggregate`` over its rows of ``rows`` (by ``column``)."""
    return Subquery(
        rows.filter(**{column: OuterRef("pk")})
        .order_by()
        .values(column)
        .annotate(value=aggregate)
        .values("value")
    )


def count_cohorts_neutral(
    *, community: Community, at: datetime, window_days: int, space: Space | None = None
) -> list[Row]:
    """``count_cohorts`` on any database: the same rows from one ORM query."""
    start = at - timedelta(days=window_days)
    events = ConductEvent.objects.filter(community=community).in_window(start, at)
    charges = Charge.objects.filter(community=community).in_window(start, at)
    if space is not None:
        events = events.filter(space=space)
        charges = charges.filter(event__space=space)
    level = Cast(KT("payload__trust_level"), TextField())
    trust = Max(Case(When(In(level, PLAIN_TRUST_LEVELS), then=Cast(level, IntegerField()))))
    # One probe of the (member, occurred_at) index per active member (a MIN() over every event
    # they ever had read 3M index entries at 100,000 members), the cohort decided on that row.
    cohort = Subquery(
        ConductEvent.objects.filter(member=OuterRef("pk"), community=community, occurred_at__lte=at)
        .order_by("occurred_at")
        .annotate(
            cohort=Case(
                When(occurred_at__gt=at - timedelta(days=NEWCOMER_DAYS), then=Value(NEWCOMERS)),
                When(
                    occurred_at__lte=at - timedelta(days=LONG_STANDING_DAYS),
                    then=Value(LONG_STANDING),
                ),
                default=Value(REGULARS),
            )
        )
        .values("cohort")[:1]
    )

    def per_charges(aggregate: Aggregate) -> Sum:
        return Sum(_per_member(charges, "membership", aggregate), default=0)

    rows = (
        Membership.objects.filter(pk__in=events.filter(member__isnull=False).values("member"))
        .values(cohort=cohort, trust=_per_member(events, "member", trust))
        .annotate(
            members=Count("pk"),
            posts=Sum(
                _per_member(events.filter(kind__in=sorted(ACTIVITY_KINDS)), "member", Count("pk")),
                default=0,
            ),
            charged=per_charges(Count("pk", filter=Q(forgiveness__isnull=True))),
            warning_or_worse=Count("pk", filter=Q(budget__tier__in=WORSE_TIERS)),
            appealed=per_charges(Count("appeal", filter=~Q(appeal__status=AppealStatus.PENDING))),
            overturned=per_charges(Count("appeal", filter=Q(appeal__status=AppealStatus.UPHELD))),
        )
        .values_list(
            "cohort",
            "trust",
            "members",
            "posts",
            "charged",
            "warning_or_worse",
            "appealed",
            "overturned",
        )
    )
    return list(rows)


@dataclass(frozen=True)
class Fairness:
    """Both groupings of one window: by tenure (reference: regulars) and by trust level
    (reference: the most common level; ``None`` when no event carried one)."""

    at: datetime
    window_days: int
    space: Space | None
    tenure: FairnessTable
    trust: FairnessTable | None

    def table(self, by: str) -> FairnessTable | None:
        return self.tenure if by == BY_TENURE else self.trust


type Row = tuple[Any, ...]


def _counted(rows: list[Row], key: int) -> dict[Any, CohortCounts]:
    """Sum the rows per cohort (``key`` 0) or per trust level (``key`` 1; rows without one
    are left out)."""
    sums: dict[Any, list[int]] = {}
    for row in rows:
        if row[key] is None:
            continue
        totals = sums.setdefault(row[key], [0] * 6)
        for i, value in enumerate(row[2:8]):
            totals[i] += int(value)
    return {
        group: CohortCounts(group if key == 0 else trust_cohort(group), *totals)
        for group, totals in sums.items()
    }


def count_cohorts(
    *, community: Community, at: datetime, window_days: int, space: Space | None = None
) -> list[Row]:
    """The one aggregate query: rows of (cohort, trust level, members, posts, charges,
    warning or worse, decided appeals, reversed). PostgreSQL runs ``FAIRNESS_SQL``; any other
    database (SQLite under ``make run``) the same counts as one ORM query."""
    if connection.vendor != "postgresql":
        return count_cohorts_neutral(
            community=community, at=at, window_days=window_days, space=space
        )
    params: dict[str, Any] = {
        "community": community.pk,
        "start": at - timedelta(days=window_days),
        "end": at,
        "space": space.pk if space else None,
        "activity": sorted(ACTIVITY_KINDS),
        "pending": AppealStatus.PENDING.value,
        "reversed": AppealStatus.UPHELD.value,
        "newcomer_after": at - timedelta(days=NEWCOMER_DAYS),
        "long_standing_before": at - timedelta(days=LONG_STANDING_DAYS),
        "newcomers": NEWCOMERS,
        "regulars": REGULARS,
        "long_standing": LONG_STANDING,
        "worse": WORSE_TIERS,
    }
    with connection.cursor() as cursor:
        cursor.execute(FAIRNESS_SQL, params)
        return list(cursor.fetchall())


def plain_rows(rows: list[Row]) -> list[Row]:
    """The counted rows as stored (JSON): the cohort, the trust level or None, then plain ints
    (PostgreSQL's sums arrive as decimals)."""
    return [
        (str(row[0]), None if row[1] is None else int(row[1]), *(int(v) for v in row[2:8]))
        for row in rows
    ]


def fairness(
    *, community: Community, at: datetime, window_days: int, space: Space | None = None
) -> Fairness:
    """The board counted now (one query), for ``at``."""
    rows = count_cohorts(community=community, at=at, window_days=window_days, space=space)
    return figures_of(rows, at=at, window_days=window_days, space=space)


def figures_of(
    rows: list[Row], *, at: datetime, window_days: int, space: Space | None = None
) -> Fairness:
    """The statistics over counted rows, live or stored (the same figures either way)."""
    rows = plain_rows(rows)
    by_tenure = _counted(rows, 0)
    tenure = compare_cohorts(
        [by_tenure.get(name, CohortCounts(name, 0, 0, 0)) for name in TENURE_COHORTS],
        reference=REGULARS,
    )
    by_trust = _counted(rows, 1)
    trust = None
    if by_trust:
        levels = [by_trust[level] for level in sorted(by_trust)]
        reference = most_common(levels)
        trust = compare_cohorts(levels, reference=reference or levels[0].name)
    return Fairness(at=at, window_days=window_days, space=space, tenure=tenure, trust=trust)
