"""Run by bench_freshness in a subprocess against its database (``python -m
bench.freshness_setup ACTION``), printing one JSON line:

* ``create MEMBERS``: a community with a Discourse connection (its secret, no API key: the forum
  is never called), MEMBERS members known by their forum ids, one published clause (upheld flags
  per post), the floor's table, and two bench-only logs filled by triggers: every write of a
  member budget (its member, spent, when) and of a clause snapshot (its scope, the evaluation's
  time, when).
* ``settled``: whether everything sent has been processed and no recalculation or evaluation is
  pending (the benchmark waits for that before it reads the logs).
* ``collect FILE``: per event in FILE (the client's record of what it sent), when it was stored
  and processed, when its member's budget first showed its charge (upheld flags) and when a
  clause snapshot first counted it; the floor's round trips.
* ``drop``: the bench-only tables and triggers (when the benchmark ran on a database it did not
  make).
"""

from __future__ import annotations

import json
import os
import sys
from bisect import bisect_left
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.freshness_settings")
django.setup()

from django.db import connection  # noqa: E402

from budgets.models import RecalcFlag  # noqa: E402
from community.contract.services import publish_contract, save_clause  # noqa: E402
from community.contract.slo import ClauseDefinition  # noqa: E402
from community.models import Community, Contract, ExternalIdentity  # noqa: E402
from community.services import upsert_identities  # noqa: E402
from integrations.discourse.connection import connect_discourse, webhook_path  # noqa: E402
from integrations.models import SOURCE, DeliveryStatus, InboundDelivery  # noqa: E402

SECRET = "bench-freshness-webhook-secret"  # noqa: S105 - a throwaway bench database
SLUG = "bench-freshness"
FORUM = "https://forum.bench-freshness.invalid"
FIRST_USER_ID = 70_000

LOGS = """
CREATE TABLE IF NOT EXISTS bench_fresh_floor (
    id bigserial PRIMARY KEY, n integer NOT NULL, sent_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL, done_at timestamptz);
CREATE TABLE IF NOT EXISTS bench_fresh_budget_log (
    membership_id bigint NOT NULL, spent numeric NOT NULL, at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS bench_fresh_clause_log (
    scope text NOT NULL, computed_at timestamptz NOT NULL, total integer NOT NULL,
    at timestamptz NOT NULL);
CREATE OR REPLACE FUNCTION bench_fresh_log_budget() RETURNS trigger AS $$
BEGIN
    INSERT INTO bench_fresh_budget_log VALUES (NEW.membership_id, NEW.spent, clock_timestamp());
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION bench_fresh_log_clause() RETURNS trigger AS $$
BEGIN
    INSERT INTO bench_fresh_clause_log
        VALUES (NEW.scope, NEW.computed_at, NEW.total, clock_timestamp());
    RETURN NULL;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS bench_fresh_budget ON budgets_memberbudget;
CREATE TRIGGER bench_fresh_budget AFTER INSERT OR UPDATE ON budgets_memberbudget
    FOR EACH ROW EXECUTE FUNCTION bench_fresh_log_budget();
DROP TRIGGER IF EXISTS bench_fresh_clause ON community_clausesnapshot;
CREATE TRIGGER bench_fresh_clause AFTER INSERT OR UPDATE ON community_clausesnapshot
    FOR EACH ROW EXECUTE FUNCTION bench_fresh_log_clause();
"""
DROP = """
DROP TRIGGER IF EXISTS bench_fresh_budget ON budgets_memberbudget;
DROP TRIGGER IF EXISTS bench_fresh_clause ON community_clausesnapshot;
DROP FUNCTION IF EXISTS bench_fresh_log_budget();
DROP FUNCTION IF EXISTS bench_fresh_log_clause();
DROP TABLE IF EXISTS bench_fresh_floor, bench_fresh_budget_log, bench_fresh_clause_log;
"""


def create(members: str) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(DROP)
        cursor.execute(LOGS)
    Community.objects.filter(slug=SLUG).delete()
    community = Community.objects.create(slug=SLUG, name="Bench freshness")
    conn = connect_discourse(community=community, base_url=FORUM, secret=SECRET)
    count = int(members)
    upsert_identities(
        community=community,
        source=SOURCE,
        identities={str(FIRST_USER_ID + n): f"bench_member_{n}" for n in range(count)},
    )
    save_clause(
        community=community,
        definition=ClauseDefinition(
            title="Flags upheld per post",
            wording="Most posts are never flagged.",
            total_kinds=("post",),
            bad_kinds=("flag_upheld",),
            target=Decimal("0.9"),
        ),
    )
    publish_contract(community=community, summary="bench", by=None)
    return {
        "webhook_path": webhook_path(conn),
        "instance": conn.base_url,
        "secret": SECRET,
        "first_user_id": FIRST_USER_ID,
        "members": count,
    }


def _community() -> Community:
    return Community.objects.get(slug=SLUG)


def settled() -> dict[str, Any]:
    community = _community()
    open_deliveries = (
        InboundDelivery.objects.filter(connection__community=community).pending().count()
    )
    recalc = RecalcFlag.objects.filter(community=community, pending=True).exists()
    evaluation = Contract.objects.filter(community=community, evaluation_pending=True).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_fresh_floor WHERE done_at IS NULL")
        floor_open = cursor.fetchone()[0]
    return {
        "open_deliveries": open_deliveries,
        "recalc_pending": recalc,
        "evaluation_pending": evaluation,
        "floor_open": floor_open,
        "settled": not (open_deliveries or recalc or evaluation or floor_open),
    }


def collect(path: str) -> dict[str, Any]:
    sent: dict[str, Any] = json.loads(Path(path).read_text())
    community = _community()
    deliveries = {
        event_id: (received.timestamp(), processed.timestamp() if processed else None, status)
        for event_id, received, processed, status in InboundDelivery.objects.filter(
            connection__community=community
        ).values_list("event_id", "received_at", "processed_at", "status")
    }
    members = dict(
        ExternalIdentity.objects.filter(community=community, source=SOURCE).values_list(
            "external_id", "membership_id"
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT membership_id, min(at) FROM bench_fresh_budget_log WHERE spent > 0 "
            "GROUP BY membership_id"
        )
        charged = {pk: at.timestamp() for pk, at in cursor.fetchall()}
        cursor.execute(
            "SELECT computed_at, at FROM bench_fresh_clause_log WHERE scope = '' "
            "ORDER BY computed_at"
        )
        snapshots = [(c.timestamp(), a.timestamp()) for c, a in cursor.fetchall()]
        cursor.execute(
            "SELECT extract(epoch FROM done_at - sent_at) FROM bench_fresh_floor "
            "WHERE done_at IS NOT NULL"
        )
        floor = [float(v) for (v,) in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM bench_fresh_floor")
        floor_stored = cursor.fetchone()[0]
    # The first snapshot written after the one whose evaluation began at `computed_at`, for
    # each: evaluations are one after the other, so writes follow the evaluations' order.
    computed = [c for c, _ in snapshots]
    first_write_after = []
    earliest = float("inf")
    for _, written in reversed(snapshots):
        earliest = min(earliest, written)
        first_write_after.append(earliest)
    first_write_after.reverse()
    budget, clause, not_shown = [], [], {"budget": 0, "clause": 0}
    stored = processed = 0
    for event_id, (kind, sent_at, user_id) in sent.items():
        found = deliveries.get(event_id)
        if found is None:
            continue
        stored += 1
        _, processed_at, status = found
        if status != DeliveryStatus.PROCESSED or processed_at is None:
            continue
        processed += 1
        # The snapshot of the first evaluation that began after the event was written.
        i = bisect_left(computed, processed_at)
        if i < len(computed):
            clause.append(first_write_after[i] - sent_at)
        else:
            not_shown["clause"] += 1
        if kind == "flag":
            at = charged.get(members.get(str(user_id), -1))
            if at is None:
                not_shown["budget"] += 1
            else:
                budget.append(at - sent_at)
    return {
        "sent": len(sent),
        "stored": stored,
        "processed": processed,
        "budget": budget,
        "clause": clause,
        "not_shown": not_shown,
        "floor": floor,
        "floor_stored": floor_stored,
        "snapshots": len(snapshots),
    }


def drop() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(DROP)
    Community.objects.filter(slug=SLUG).delete()
    return {"dropped": True}


if __name__ == "__main__":
    action, *args = sys.argv[1:]
    actions: dict[str, Callable[..., dict[str, Any]]] = {
        "create": create,
        "settled": settled,
        "collect": collect,
        "drop": drop,
    }
    print(json.dumps(actions[action](*args)))
