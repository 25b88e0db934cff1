"""Clause evaluation cost: one aggregate query per clause, from 10k to 1M conduct events.

Needs PostgreSQL: ``DATABASE_URL=postgres://... python -m bench clauses``. Builds a throwaway
community (``bench-clauses``), times ``count_clause`` (the aggregate) and ``evaluate_community``
(aggregate + snapshots + alert decisions, per-space status for 12 spaces), then deletes it.
``BENCH_CLAUSE_SIZES=10000,100000`` picks the sizes.
"""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta


def run() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection
    from django.utils import timezone

    from community.contract.counting import count_clause
    from community.contract.evaluation import evaluate_community
    from community.contract.services import publish_contract, save_clause
    from community.contract.slo import ClauseDefinition
    from community.models import Community, ConductEvent, Space

    if connection.vendor != "postgresql":
        print("needs PostgreSQL: set DATABASE_URL=postgres://...")
        return
    sizes = [
        int(s) for s in os.environ.get("BENCH_CLAUSE_SIZES", "10000,100000,1000000").split(",")
    ]
    rng = random.Random(7)
    now = timezone.now()
    print(f"{'events':>9} {'aggregate ms':>13} {'evaluate ms':>12}")
    for size in sizes:
        Community.objects.filter(slug="bench-clauses").delete()
        community = Community.objects.create(slug="bench-clauses", name="Bench")
        spaces = Space.objects.bulk_create(
            [Space(community=community, name=f"space {i}", external_id=str(i)) for i in range(12)]
        )
        rows = []
        for n in range(size):
            at = now - timedelta(seconds=rng.uniform(0, 45 * 86400))
            bad = rng.random() < 0.02
            rows.append(
                ConductEvent(
                    community=community,
                    kind="flag_upheld" if bad else "post",
                    category="inappropriate" if bad else "",
                    space=spaces[n % 12],
                    subject=f"p{n}",
                    occurred_at=at,
                    recorded_at=at,
                    external_id=f"e{n}",
                )
            )
            if len(rows) == 20000:
                ConductEvent.objects.bulk_create(rows)
                rows = []
        ConductEvent.objects.bulk_create(rows)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE community_conductevent")
        definition = ClauseDefinition(
            title="Bench",
            wording="Bench",
            total_kinds=("post",),
            bad_kinds=("flag_upheld",),
            bad_categories=("inappropriate",),
            target=__import__("decimal").Decimal("0.98"),
        )
        save_clause(community=community, definition=definition)
        publish_contract(community=community, summary="bench", by=None)
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            count_clause(community_id=community.pk, definition=definition, now=now)
            timings.append(time.perf_counter() - start)
        start = time.perf_counter()
        evaluate_community(community=community, now=now)
        evaluate_ms = (time.perf_counter() - start) * 1000
        print(f"{size:>9} {min(timings) * 1000:>13.1f} {evaluate_ms:>12.1f}", flush=True)
    Community.objects.filter(slug="bench-clauses").delete()
