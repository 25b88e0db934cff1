"""The fairness board's read model (DESIGN.md §3.6): one aggregate query over the window, grouped
by tenure cohort and trust level, then the pure statistics of ``boards.fairness_math``.

The query's cost grows with the window's events, never its number of round trips: members are
put in their cohort inside the database and only the cohorts' sums come back (at most a few
dozen rows), so the board runs the same number of queries at 300 members and at 100,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from boards.fairness_math import CohortCounts, FairnessTable, compare_cohorts, most_common
from budgets.models import Appeal, AppealStatus, Charge, Forgiveness, MemberBudget
from community.models import Community, ConductEvent, Space
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

# One pass over the window's events per member (posts and the highest trust level the forum
# sent), the member's first event ever (their cohort), their charges in the window and their
# appeals, then sums per (cohort, trust level). Trust levels are read only where an event's
# payload carries a plain 0-4 (Discourse posts do; other sources may not).
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
    warning or worse, decided appeals, reversed)."""
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
        "worse": [Tier.WARNING.value, Tier.CRITICAL.value, Tier.EXHAUSTED.value],
    }
    with connection.cursor() as cursor:
        cursor.execute(FAIRNESS_SQL, params)
        return list(cursor.fetchall())


def fairness(
    *, community: Community, at: datetime, window_days: int, space: Space | None = None
) -> Fairness:
    rows = count_cohorts(community=community, at=at, window_days=window_days, space=space)
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
