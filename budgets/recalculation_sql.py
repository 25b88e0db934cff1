"""The recalculation's SQL, as text: the aggregate of one chunk of members (every database) and,
on PostgreSQL, the fused statement that aggregates, applies the budget math and upserts in one go.

Only table names, placeholders and ``community.tiers``' constants are written into the text;
every value is a query parameter.
"""

from __future__ import annotations

from budgets.models import Charge, Forgiveness, MemberBudget
from community.models import ConductEvent, Membership
from community.tiers import HEALTHY_ABOVE, WARNING_ABOVE, Tier
from community.vocabulary import ACTIVITY_KINDS


def aggregate_sql(*, member_filter: str) -> str:
    """The one aggregate statement. ``member_filter`` restricts ``{col}`` to the chunk's
    members (a BETWEEN or an IN list); parameters are positional, in this order: activity
    (end, end, end, community, kinds..., start, filter), charges (end, day_start, end, end,
    day_start, end, end, community, start, filter), members (community, filter). Rows dated
    after ``end`` are read only for when they enter the window (DESIGN.md §3.8)."""
    m = Membership._meta.db_table
    e = ConductEvent._meta.db_table
    c = Charge._meta.db_table
    f = Forgiveness._meta.db_table
    b = MemberBudget._meta.db_table
    kinds = ", ".join(["%s"] * len(ACTIVITY_KINDS))
    # Only table names and placeholders are interpolated; every value is a parameter.
    return f"""
        SELECT m.id, m.display_name,
               COALESCE(a.n, 0), COALESCE(c.spent, 0), COALESCE(c.spent_24h, 0), c.oldest,
               b.tier, b.transition_sequence, b.activity, b.allowance, b.spent,
               b.remaining_ratio, b.recovers_at, b.burn_rate_24h, b.policy_version,
               a.oldest, a.next_entry, c.oldest_24h, c.next_entry, b.next_change_at
        FROM {m} m
        LEFT JOIN (
            SELECT e.member_id AS mid, COUNT(*) FILTER (WHERE e.occurred_at <= %s) AS n,
                   MIN(e.occurred_at) FILTER (WHERE e.occurred_at <= %s) AS oldest,
                   MIN(e.occurred_at) FILTER (WHERE e.occurred_at > %s) AS next_entry
            FROM {e} e
            WHERE e.community_id = %s AND e.kind IN ({kinds}) AND e.occurred_at > %s
              AND {member_filter.format(col="e.member_id")}
            GROUP BY e.member_id
        ) a ON a.mid = m.id
        LEFT JOIN (
            SELECT ch.membership_id AS mid, SUM(ch.cost) FILTER (WHERE ch.occurred_at <= %s)
                     AS spent,
                   SUM(ch.cost) FILTER (WHERE ch.occurred_at > %s AND ch.occurred_at <= %s)
                     AS spent_24h,
                   MIN(ch.occurred_at) FILTER (WHERE ch.occurred_at <= %s) AS oldest,
                   MIN(ch.occurred_at) FILTER (WHERE ch.occurred_at > %s
                                                 AND ch.occurred_at <= %s) AS oldest_24h,
                   MIN(ch.occurred_at) FILTER (WHERE ch.occurred_at > %s) AS next_entry
            FROM {c} ch
            WHERE ch.community_id = %s AND ch.occurred_at > %s
              AND {member_filter.format(col="ch.membership_id")}
              AND NOT EXISTS (SELECT 1 FROM {f} f WHERE f.charge_id = ch.id)
            GROUP BY ch.membership_id
        ) c ON c.mid = m.id
        LEFT JOIN {b} b ON b.membership_id = m.id
        WHERE m.community_id = %s AND {member_filter.format(col="m.id")}
        ORDER BY m.id
    """  # noqa: S608


def fused_sql(*, member_filter: str, only_changed: bool) -> str:
    """PostgreSQL: aggregate, math and upsert in one statement (DESIGN.md §3.3 in exact
    ``numeric``; tiers by comparison, without division). Returns one row per member whose tier
    changed, then a last row (membership id NULL) with the counts of members and writes.
    The tier thresholds and names are ``community.tiers``' own, written in as constants."""
    m = Membership._meta.db_table
    e = ConductEvent._meta.db_table
    c = Charge._meta.db_table
    f = Forgiveness._meta.db_table
    b = MemberBudget._meta.db_table
    changed = (
        f"""WHERE ({b}.activity, {b}.allowance, {b}.spent, {b}.remaining_ratio, {b}.tier,
                   {b}.recovers_at, {b}.burn_rate_24h, {b}.policy_version, {b}.next_change_at)
            IS DISTINCT FROM (EXCLUDED.activity, EXCLUDED.allowance, EXCLUDED.spent,
                   EXCLUDED.remaining_ratio, EXCLUDED.tier, EXCLUDED.recovers_at,
                   EXCLUDED.burn_rate_24h, EXCLUDED.policy_version, EXCLUDED.next_change_at)"""
        if only_changed
        else ""
    )
    return f"""
    WITH totals AS (
        SELECT m.id, m.display_name, COALESCE(a.n, 0) AS activity,
               CASE WHEN %(target)s::numeric IS NULL THEN %(floor)s::numeric
                    ELSE GREATEST(%(floor)s::numeric,
                                  (1 - %(target)s::numeric) * COALESCE(a.n, 0)) END
                 AS allowance,
               COALESCE(ch.spent, 0) AS spent, COALESCE(ch.spent_24h, 0) AS spent_24h,
               ch.oldest,
               LEAST(ch.oldest + %(window)s, a.oldest + %(window)s,
                     ch.oldest_24h + %(day)s, a.next_entry, ch.next_entry) AS next_change_at
        FROM {m} m
        LEFT JOIN (
            SELECT e.member_id AS mid, COUNT(*) FILTER (WHERE e.occurred_at <= %(end)s) AS n,
                   MIN(e.occurred_at) FILTER (WHERE e.occurred_at <= %(end)s) AS oldest,
                   MIN(e.occurred_at) FILTER (WHERE e.occurred_at > %(end)s) AS next_entry
            FROM {e} e
            WHERE e.community_id = %(community)s AND e.kind = ANY(%(kinds)s)
              AND e.occurred_at > %(start)s
              AND {member_filter.format(col="e.member_id")}
            GROUP BY e.member_id
        ) a ON a.mid = m.id
        LEFT JOIN (
            SELECT ch.membership_id AS mid,
                   SUM(ch.cost) FILTER (WHERE ch.occurred_at <= %(end)s) AS spent,
                   SUM(ch.cost) FILTER (WHERE ch.occurred_at > %(day_start)s
                                          AND ch.occurred_at <= %(end)s) AS spent_24h,
                   MIN(ch.occurred_at) FILTER (WHERE ch.occurred_at <= %(end)s) AS oldest,
                   MIN(ch.occurred_at) FILTER (WHERE ch.occurred_at > %(day_start)s
                                                 AND ch.occurred_at <= %(end)s) AS oldest_24h,
                   MIN(ch.occurred_at) FILTER (WHERE ch.occurred_at > %(end)s) AS next_entry
            FROM {c} ch
            WHERE ch.community_id = %(community)s AND ch.occurred_at > %(start)s
              AND {member_filter.format(col="ch.membership_id")}
              AND NOT EXISTS (SELECT 1 FROM {f} f WHERE f.charge_id = ch.id)
            GROUP BY ch.membership_id
        ) ch ON ch.mid = m.id
        WHERE m.community_id = %(community)s AND {member_filter.format(col="m.id")}
    ),
    budgets AS (
        SELECT t.id, t.display_name, t.activity, t.allowance, t.spent,
               t.allowance - t.spent AS remaining,
               round((t.allowance - t.spent) / t.allowance, 6) AS remaining_ratio,
               CASE WHEN t.allowance - t.spent > {HEALTHY_ABOVE} * t.allowance
                      THEN '{Tier.HEALTHY}'
                    WHEN t.allowance - t.spent > {WARNING_ABOVE} * t.allowance
                      THEN '{Tier.WARNING}'
                    WHEN t.allowance - t.spent > 0 THEN '{Tier.CRITICAL}'
                    ELSE '{Tier.EXHAUSTED}' END AS tier,
               t.oldest + %(window)s AS recovers_at,
               round(t.spent_24h * %(window_days)s / t.allowance, 6) AS burn_rate_24h,
               t.next_change_at
        FROM totals t
    ),
    old AS (
        SELECT b.membership_id, b.tier, b.transition_sequence FROM {b} b
        WHERE b.community_id = %(community)s AND {member_filter.format(col="b.membership_id")}
    ),
    up AS (
        INSERT INTO {b} AS {b} (membership_id, community_id, activity, allowance, spent,
            remaining, remaining_ratio, tier, recovers_at, burn_rate_24h, policy_version,
            transition_sequence, computed_at, next_change_at)
        SELECT n.id, %(community)s, n.activity, n.allowance, n.spent, n.remaining,
               n.remaining_ratio, n.tier, n.recovers_at, n.burn_rate_24h, %(policy_version)s,
               COALESCE(o.transition_sequence, 0)
                 + CASE WHEN n.tier <> COALESCE(o.tier, '{Tier.HEALTHY}') THEN 1 ELSE 0 END,
               %(at)s, n.next_change_at
        FROM budgets n LEFT JOIN old o ON o.membership_id = n.id
        ON CONFLICT (membership_id) DO UPDATE SET
            community_id = EXCLUDED.community_id, activity = EXCLUDED.activity,
            allowance = EXCLUDED.allowance, spent = EXCLUDED.spent,
            remaining = EXCLUDED.remaining, remaining_ratio = EXCLUDED.remaining_ratio,
            tier = EXCLUDED.tier, recovers_at = EXCLUDED.recovers_at,
            burn_rate_24h = EXCLUDED.burn_rate_24h, policy_version = EXCLUDED.policy_version,
            transition_sequence = EXCLUDED.transition_sequence,
            computed_at = EXCLUDED.computed_at, next_change_at = EXCLUDED.next_change_at
        {changed}
        RETURNING {b}.membership_id, {b}.tier, {b}.transition_sequence, {b}.allowance,
                  {b}.spent, {b}.remaining, {b}.remaining_ratio
    )
    SELECT up.membership_id, up.tier, COALESCE(o.tier, '{Tier.HEALTHY}'), up.transition_sequence,
           up.allowance, up.spent, up.remaining, up.remaining_ratio, n.display_name
    FROM up LEFT JOIN old o ON o.membership_id = up.membership_id
    JOIN budgets n ON n.id = up.membership_id
    WHERE up.tier <> COALESCE(o.tier, '{Tier.HEALTHY}')
    UNION ALL
    SELECT NULL, NULL, NULL, (SELECT COUNT(*) FROM budgets), NULL, NULL, NULL, NULL,
           (SELECT COUNT(*) FROM up)::text
    """  # noqa: S608
