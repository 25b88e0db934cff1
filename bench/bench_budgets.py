"""Budget recalculation at 1k / 10k / 100k members (`make bench BENCH=budgets`).

Makes its own database (``bench.common``), seeds each size with 10 charges and 30 activity
events per member spread over 60 days (generate_series, seeded), and measures, each in a fresh
child process (so the peak RSS is the measured work's):

* bulk: the production path (`budgets.recalculation.recalculate_community`, kind=full) on a
  warm table (every snapshot rewritten), and the first, cold run (snapshots and transitions
  created);
* floor: the bare SQL of the same work in the same run: one INSERT .. SELECT aggregate .. ON
  CONFLICT DO UPDATE of every row, the math done in SQL; and the ratio bulk / floor;
* loop: a per-member ORM loop (two aggregates and an upsert per member) over 1,000 members,
  extrapolated to all of them, and the ratio loop / bulk;
* periodic: the incremental run an hour later (DESIGN.md §3.8), which reads and writes only the
  members due (about 3 % of them: an activity event or a charge leaving a window), against the
  full floor.

``BENCH_SIZE`` (``bench.common``) or ``BENCH_BUDGET_SIZES=10000,100000`` picks the sizes.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from typing import Any

from bench import common
from bench.results import Row

SIZES = {"tiny": [300], "small": [1_000, 10_000], "full": [1_000, 10_000, 100_000]}
POSTS_PER_MEMBER = 30
CHARGES_PER_MEMBER = 10
DAYS = 60
SUFFIX = "bench_budgets"
MODULE = "bench.bench_budgets"


def _vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE budgets_memberbudget")


def run() -> list[Row]:
    url = common.fresh_database(SUFFIX)
    try:
        return _measure(url)
    finally:
        common.drop_database(SUFFIX)


def _measure(url: str) -> list[Row]:
    tiny = common.size() == "tiny"
    rows: list[Row] = []
    bulk_at: dict[int, float] = {}

    def child(action: str, size: int) -> dict[str, Any]:
        return common.child(MODULE, url, action, str(size))

    chosen = os.environ.get("BENCH_BUDGET_SIZES", "")
    sizes = [int(s) for s in chosen.split(",")] if chosen else SIZES[common.size()]
    for size in sizes:
        seeded = child("seed", size)
        print(
            f"\n{size:,} members: seeded {seeded['events']:,} events and "
            f"{seeded['charges']:,} charges in {seeded['seconds']:.1f} s",
            flush=True,
        )
        cold = child("bulk", size)
        bulk_runs, floor_runs = [], []
        for _ in range(1 if tiny else 2):
            _vacuum(url)
            bulk_runs.append(child("bulk", size))
            _vacuum(url)
            floor_runs.append(child("floor", size))
        _vacuum(url)
        python = child("bulk_python", size)
        bulk = min(bulk_runs, key=lambda r: r["seconds"])
        floor = min(floor_runs, key=lambda r: r["seconds"])
        _vacuum(url)
        periodic = child("periodic", size)
        loop = child("loop", size)
        loop_total = loop["seconds"] / loop["members"] * size
        bulk_at[size] = bulk["seconds"]
        ratio = bulk["seconds"] / floor["seconds"]
        due = periodic["members"] / size
        print(
            f"  bulk (warm, every row rewritten): {bulk['seconds']:.2f} s  "
            f"peak RSS {bulk['rss_mb']:.0f} MB  ({bulk['written']:,} written)\n"
            f"  bulk (cold, first run):            {cold['seconds']:.2f} s  "
            f"({cold['transitions']:,} transitions recorded)\n"
            f"  floor (bare SQL aggregate+upsert): {floor['seconds']:.2f} s  ratio {ratio:.2f}\n"
            f"  bulk, python engine (bulk_create): {python['seconds']:.2f} s  "
            f"peak RSS {python['rss_mb']:.0f} MB\n"
            f"  ORM loop: {loop['members']:,} members in {loop['seconds']:.2f} s, "
            f"extrapolated {loop_total:.1f} s\n"
            f"  periodic (due members only):       {periodic['seconds']:.3f} s  "
            f"({periodic['members']:,} read = {due:.1%}, {periodic['written']:,} written)",
            flush=True,
        )
        big = size >= 100_000
        rows += [
            Row(
                figure=f"full recalculation, {size:,} members",
                measured=f"{common.seconds(bulk['seconds'])}, peak {bulk['rss_mb']:.0f} MB",
                floor=f"{common.seconds(floor['seconds'])} bare SQL",
                ratio=ratio,
                target="<= 1.5x",
                met=ratio <= 1.5 and bulk["rss_mb"] < 300 if size >= 10_000 else None,
            ),
            Row(
                figure=f"per-member ORM loop, {size:,} members (extrapolated)",
                measured=common.seconds(loop_total),
                floor=f"{common.seconds(bulk['seconds'])} bulk",
                ratio=loop_total / bulk["seconds"],
                target=">= 10x",
                met=loop_total / bulk["seconds"] >= 10 if size >= 10_000 else None,
            ),
            Row(
                figure=f"periodic run, {size:,} members, {due:.0%} due",
                measured=common.seconds(periodic["seconds"]),
                floor=f"{common.seconds(floor['seconds'])} full floor",
                ratio=periodic["seconds"] / floor["seconds"],
                target="<= 0.15x at 100k",
                met=periodic["seconds"] / floor["seconds"] <= 0.15 if big else None,
            ),
        ]
    if 10_000 in bulk_at and 100_000 in bulk_at:
        growth = bulk_at[100_000] / bulk_at[10_000]
        rows.append(
            Row(
                figure="growth of the full run, 10k -> 100k members",
                measured=common.seconds(bulk_at[100_000]),
                floor=f"{common.seconds(bulk_at[10_000])} at 10k",
                ratio=growth,
                target="<= 12x",
                met=growth <= 12,
            )
        )
    return rows


# --- Child processes (fresh interpreter each, so the RSS is the measured work's) -------------


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _community(size: int) -> Any:
    from community.models import Community

    return Community.objects.get(slug=f"bench-{size}")


def seed_members(community_id: int, size: int) -> None:
    """Add ``size`` members to a community with fast SQL (seeded): POSTS_PER_MEMBER posts and
    CHARGES_PER_MEMBER charges each over DAYS days, 5 % of the charges forgiven. The pages
    benchmark seeds its 100,000 members with this too."""
    from django.db import connection

    c = community_id
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM community_membership")
        (after,) = cur.fetchone() or (0,)
        cur.execute(
            """INSERT INTO community_membership (community_id, display_name, role, joined_at)
               SELECT %s, 'member ' || g, 'member', now() FROM generate_series(1, %s) g""",
            [c, size],
        )
        cur.execute(
            """INSERT INTO community_conductevent (community_id, kind, category, severity,
                 member_id, subject, occurred_at, recorded_at, source, external_id, payload)
               SELECT %s, 'post', '', '', m.id, '', now() - random() * interval '60 days',
                      now(), 'bench', m.id || '-' || g, '{}'
               FROM community_membership m, generate_series(1, %s) g
               WHERE m.community_id = %s AND m.id > %s""",
            [c, POSTS_PER_MEMBER, c, after],
        )
        cur.execute(
            """INSERT INTO budgets_charge (community_id, membership_id, kind, category, severity,
                 cost, reason, occurred_at, recorded_at)
               SELECT %s, m.id, 'flag_upheld', '', 'minor',
                      (ARRAY[1, 1, 1, 3, 0.5])[1 + floor(random() * 5)::int], 'bench',
                      now() - random() * interval '60 days', now()
               FROM community_membership m, generate_series(1, %s) g
               WHERE m.community_id = %s AND m.id > %s""",
            [c, CHARGES_PER_MEMBER, c, after],
        )
        cur.execute(
            """INSERT INTO budgets_forgiveness (community_id, charge_id, kind, reason, at)
               SELECT %s, ch.id, 'grace', 'bench', now() FROM budgets_charge ch
               WHERE ch.community_id = %s AND ch.membership_id > %s AND random() < 0.05""",
            [c, c, after],
        )
    with connection.cursor() as cur:
        # As autovacuum leaves a table in steady use: statistics and the visibility map (the
        # index-only scans of the incremental run rely on it).
        cur.execute("VACUUM ANALYZE")


def child_seed(size: int) -> dict[str, Any]:
    from budgets.services import get_policy
    from community.models import Community

    started = time.perf_counter()
    Community.objects.filter(slug=f"bench-{size}").delete()
    community = Community.objects.create(slug=f"bench-{size}", name=f"Bench {size}")
    get_policy(community=community)
    seed_members(community.pk, size)
    return {
        "seconds": time.perf_counter() - started,
        "events": size * POSTS_PER_MEMBER,
        "charges": size * CHARGES_PER_MEMBER,
    }


def child_bulk(size: int, engine: str = "") -> dict[str, Any]:
    from budgets.recalculation import recalculate_community

    community = _community(size)
    started = time.perf_counter()
    result = recalculate_community(community=community, kind="full", engine=engine or None)
    return {
        "seconds": time.perf_counter() - started,
        "rss_mb": _rss_mb(),
        "members": result.members,
        "written": result.written,
        "transitions": result.transitions,
    }


def child_bulk_python(size: int) -> dict[str, Any]:
    return child_bulk(size, engine="python")


def child_periodic(size: int) -> dict[str, Any]:
    """The incremental run an hour later; ``members`` is how many it read (the due ones)."""
    from datetime import timedelta

    from django.utils import timezone

    from budgets.recalculation import recalculate_community

    community = _community(size)
    started = time.perf_counter()
    result = recalculate_community(
        community=community, kind="periodic", at=timezone.now() + timedelta(hours=1)
    )
    return {
        "seconds": time.perf_counter() - started,
        "rss_mb": _rss_mb(),
        "members": result.members,
        "written": result.written,
    }


FLOOR_SQL = """
INSERT INTO budgets_memberbudget (membership_id, community_id, activity, allowance, spent,
    remaining, remaining_ratio, tier, recovers_at, burn_rate_24h, policy_version,
    transition_sequence, computed_at)
SELECT id, %(c)s, activity, allowance, spent, allowance - spent,
       round((allowance - spent) / allowance, 6),
       CASE WHEN (allowance - spent) / allowance > 0.5 THEN 'healthy'
            WHEN (allowance - spent) / allowance > 0.2 THEN 'warning'
            WHEN (allowance - spent) / allowance > 0 THEN 'critical' ELSE 'exhausted' END,
       oldest + %(window)s, round(spent_24h / allowance * %(days)s, 6), 1, 0, %(now)s
FROM (
    SELECT m.id, COALESCE(a.n, 0) AS activity,
           GREATEST(%(floor)s, (1 - %(target)s) * COALESCE(a.n, 0)) AS allowance,
           COALESCE(c.spent, 0) AS spent, COALESCE(c.spent_24h, 0) AS spent_24h, c.oldest
    FROM community_membership m
    LEFT JOIN (SELECT member_id, COUNT(*) AS n FROM community_conductevent
               WHERE community_id = %(c)s AND kind = 'post'
                 AND occurred_at > %(start)s AND occurred_at <= %(now)s
               GROUP BY member_id) a ON a.member_id = m.id
    LEFT JOIN (SELECT ch.membership_id, SUM(ch.cost) AS spent,
                      SUM(CASE WHEN ch.occurred_at > %(day)s THEN ch.cost ELSE 0 END)
                        AS spent_24h,
                      MIN(ch.occurred_at) AS oldest
               FROM budgets_charge ch
               WHERE ch.community_id = %(c)s
                 AND ch.occurred_at > %(start)s AND ch.occurred_at <= %(now)s
                 AND NOT EXISTS (SELECT 1 FROM budgets_forgiveness f WHERE f.charge_id = ch.id)
               GROUP BY ch.membership_id) c ON c.membership_id = m.id
    WHERE m.community_id = %(c)s
) t
ON CONFLICT (membership_id) DO UPDATE SET activity = EXCLUDED.activity,
    allowance = EXCLUDED.allowance, spent = EXCLUDED.spent, remaining = EXCLUDED.remaining,
    remaining_ratio = EXCLUDED.remaining_ratio, tier = EXCLUDED.tier,
    recovers_at = EXCLUDED.recovers_at, burn_rate_24h = EXCLUDED.burn_rate_24h,
    computed_at = EXCLUDED.computed_at
"""


def child_floor(size: int) -> dict[str, Any]:
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from budgets.services import get_policy

    community = _community(size)
    policy = get_policy(community=community)
    now = timezone.now()
    params = {
        "c": community.pk,
        "now": now,
        "start": now - timedelta(days=policy.window_days),
        "day": now - timedelta(days=1),
        "window": timedelta(days=policy.window_days),
        "days": policy.window_days,
        "floor": policy.floor_points,
        "target": policy.member_target,
    }
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL jit = off")  # as the production path does
        cur.execute(FLOOR_SQL, params)
    return {"seconds": time.perf_counter() - started, "rss_mb": _rss_mb()}


def child_loop(size: int, members: int = 1_000) -> dict[str, Any]:
    """The naive way: per member, two aggregates and an upsert through the ORM."""
    members = min(members, size // 3)
    from datetime import timedelta

    from django.db.models import Min, Sum
    from django.utils import timezone

    from budgets import budget_math
    from budgets.models import Charge, MemberBudget
    from budgets.services import get_policy
    from community.models import ConductEvent, Membership

    community = _community(size)
    policy = get_policy(community=community)
    math = policy.math()
    now = timezone.now()
    start = now - math.window
    ids = list(
        Membership.objects.filter(community=community)
        .order_by("pk")
        .values_list("pk", flat=True)[:members]
    )
    started = time.perf_counter()
    for pk in ids:
        activity = ConductEvent.objects.filter(
            member_id=pk, kind="post", occurred_at__gt=start, occurred_at__lte=now
        ).count()
        charges = Charge.objects.active().filter(membership_id=pk).in_window(start, now)
        agg = charges.aggregate(spent=Sum("cost"), oldest=Min("occurred_at"))
        day = charges.filter(occurred_at__gt=now - timedelta(days=1)).aggregate(s=Sum("cost"))
        budget = budget_math.budget_from_totals(
            math,
            budget_math.Totals(
                activity=activity,
                spent=agg["spent"] or budget_math.ZERO,
                spent_24h=day["s"] or budget_math.ZERO,
                oldest_active=agg["oldest"],
            ),
        ).rounded()
        MemberBudget.objects.update_or_create(
            membership_id=pk,
            defaults={
                "community": community,
                "activity": budget.activity,
                "allowance": budget.allowance,
                "spent": budget.spent,
                "remaining": budget.remaining,
                "remaining_ratio": budget.remaining_ratio,
                "tier": budget.tier,
                "recovers_at": budget.recovers_at,
                "burn_rate_24h": budget.burn_rate_24h,
                "policy_version": policy.version,
                "computed_at": now,
            },
        )
    return {"seconds": time.perf_counter() - started, "members": len(ids)}


if __name__ == "__main__":
    _setup()
    action, *rest = sys.argv[1:]
    handlers = {
        "seed": child_seed,
        "bulk": child_bulk,
        "bulk_python": child_bulk_python,
        "periodic": child_periodic,
        "floor": child_floor,
        "loop": child_loop,
    }
    out = handlers[action](*[int(a) for a in rest])
    print(json.dumps(out, default=str))
