"""Clause evaluation cost: one aggregate query per clause, from 10k to 10M conduct events
(`make bench BENCH=clauses`).

Makes its own database (``bench.common``) and, per size, a community ``bench-clauses-N`` with
12 spaces and N events over 45 days (2 % of them upheld flags), inserted with generate_series.
Times, in a child process, ``count_clause`` (the aggregate, best of three), a bare SQL floor
of the same counts per space (best of three), and ``evaluate_community`` (aggregate +
snapshots + alert decisions, per-space status). ``BENCH_CLAUSE_SIZES=10000,100000`` picks the
sizes. At 10M events and more (``BENCH_CLAUSE_SIZES=10000000``, not in the default sizes: seeding
takes tens of minutes) the evaluation has a target (issue 16 part 6): the whole
``evaluate_community`` within 2 s.
"""

from __future__ import annotations

import json
import os
import sys
import time
from decimal import Decimal
from typing import Any

from bench import common
from bench.results import Row

SIZES = {
    "tiny": [2_000],
    "small": [10_000, 100_000],
    "full": [10_000, 100_000, 1_000_000],
}
TARGET_FROM = 10_000_000  # below this size no target applies
TARGET_MS = 2_000
SUFFIX = "bench_clauses"
MODULE = "bench.bench_clauses"
FLOOR_SQL = """
SELECT space_id, COUNT(*) FILTER (WHERE kind = 'post'),
       COUNT(*) FILTER (WHERE kind = 'flag_upheld' AND category = 'inappropriate')
FROM community_conductevent
WHERE community_id = %s AND occurred_at > %s AND occurred_at <= %s
GROUP BY space_id
"""


def _sizes() -> list[int]:
    chosen = os.environ.get("BENCH_CLAUSE_SIZES", "")
    if chosen:
        return [int(s) for s in chosen.split(",")]
    return SIZES[common.size()]


def run() -> list[Row]:
    url = common.fresh_database(SUFFIX)
    rows: list[Row] = []
    try:
        for size in _sizes():
            r = common.child(MODULE, url, "measure", str(size))
            ratio = r["aggregate_ms"] / r["floor_ms"]
            print(
                f"  {size:>9,} events: aggregate {r['aggregate_ms']:.1f} ms, bare SQL "
                f"{r['floor_ms']:.1f} ms, evaluate (12 spaces) {r['evaluate_ms']:.1f} ms",
                flush=True,
            )
            rows.append(
                Row(
                    figure=f"clause aggregate, {size:,} events",
                    measured=f"{r['aggregate_ms']:.0f} ms (evaluate {r['evaluate_ms']:.0f} ms)",
                    floor=f"{r['floor_ms']:.0f} ms bare SQL",
                    ratio=ratio,
                    target="evaluate <= 2 s" if size >= TARGET_FROM else "-",
                    met=r["evaluate_ms"] <= TARGET_MS if size >= TARGET_FROM else None,
                )
            )
    finally:
        common.drop_database(SUFFIX)
    return rows


def child_measure(size: int) -> dict[str, Any]:
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from community.contract.counting import count_clause
    from community.contract.evaluation import evaluate_community
    from community.contract.services import publish_contract, save_clause
    from community.contract.slo import ClauseDefinition
    from community.models import Community, Space

    now = timezone.now()
    slug = f"bench-clauses-{size}"
    Community.objects.filter(slug=slug).delete()
    community = Community.objects.create(slug=slug, name="Bench")
    spaces = Space.objects.bulk_create(
        [Space(community=community, name=f"space {i}", external_id=str(i)) for i in range(12)]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.7)")
        cursor.execute(
            """INSERT INTO community_conductevent (community_id, kind, category, severity,
                 space_id, subject, occurred_at, recorded_at, source, external_id, payload)
               SELECT %s, CASE WHEN bad THEN 'flag_upheld' ELSE 'post' END,
                      CASE WHEN bad THEN 'inappropriate' ELSE '' END, '',
                      (%s::bigint[])[1 + g %% 12], 'p' || g, at, at, 'bench', 'e' || g, '{}'
               FROM (SELECT g, random() < 0.02 AS bad,
                            %s - random() * interval '45 days' AS at
                     FROM generate_series(1, %s) g) s""",
            [community.pk, [s.pk for s in spaces], now, size],
        )
        cursor.execute("ANALYZE community_conductevent")
    definition = ClauseDefinition(
        title="Bench",
        wording="Bench",
        total_kinds=("post",),
        bad_kinds=("flag_upheld",),
        bad_categories=("inappropriate",),
        target=Decimal("0.98"),
    )
    save_clause(community=community, definition=definition)
    publish_contract(community=community, summary="bench", by=None)
    aggregate, floor = [], []
    start = now - timedelta(days=definition.window_days)
    for _ in range(3):
        started = time.perf_counter()
        count_clause(community_id=community.pk, definition=definition, now=now)
        aggregate.append(time.perf_counter() - started)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, [community.pk, start, now])
            cursor.fetchall()
        floor.append(time.perf_counter() - started)
    started = time.perf_counter()
    evaluate_community(community=community, now=now)
    evaluate = time.perf_counter() - started
    return {
        "aggregate_ms": min(aggregate) * 1000,
        "floor_ms": min(floor) * 1000,
        "evaluate_ms": evaluate * 1000,
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    action, *rest = sys.argv[1:]
    print(json.dumps({"measure": child_measure}[action](*[int(a) for a in rest])))
