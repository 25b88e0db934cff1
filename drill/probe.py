"""The drill's eyes on the private database: a child process that answers questions.

Started by the drill with the private services' environment; reads one JSON request per line on
stdin and writes one JSON answer per line on stdout. It reads the database only (never the
app's services), and closes its connection after every answer, so a PostgreSQL restart costs it
nothing. Models are looked up through the app registry, so a module moving inside an app does
not break the drill.

The budget check is the drill's point: every member's stored snapshot must equal the pure
function ``budgets.budget_math.compute_budget`` over the member's whole ledger (as stored now) at
the snapshot's own time, under the current policy; and the snapshot must not be *stale*: no
activity, charge or forgiveness on the member's ledger may be later than the snapshot's time
(the pure function at that time could not see it, so the stored budget would miss it).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.apps import apps  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from budgets.budget_math import ChargeFact, Policy, compute_budget  # noqa: E402
from community.vocabulary import ACTIVITY_KINDS, FRICTION_KINDS  # noqa: E402

Answer = dict[str, Any]
EXAMPLES = 5
COMPARED = (
    "activity",
    "allowance",
    "spent",
    "remaining",
    "remaining_ratio",
    "tier",
    "recovers_at",
    "burn_rate_24h",
)


def model(label: str) -> Any:
    app_label, name = label.split(".")
    return apps.get_model(app_label, name)


def community_id(slug: str) -> int:
    return int(model("community.Community").objects.get(slug=slug).pk)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def budgets(slug: str) -> Answer:
    """Compare every member's stored budget with the pure function (see the module docstring)."""
    cid = community_id(slug)
    row = model("budgets.ForgivenessPolicy").objects.get(community_id=cid)
    policy = Policy(
        window_days=row.window_days,
        member_target=row.member_target,
        floor_points=Decimal(row.floor_points),
    )
    activity: dict[int, list[datetime]] = defaultdict(list)
    latest: dict[int, datetime] = {}

    def note(member_id: int, at: datetime) -> None:
        if member_id not in latest or at > latest[member_id]:
            latest[member_id] = at

    events = model("community.ConductEvent").objects.filter(
        community_id=cid, member_id__isnull=False
    )
    for member_id, kind, occurred_at in events.values_list(
        "member_id", "kind", "occurred_at"
    ).iterator(chunk_size=20_000):
        if kind in ACTIVITY_KINDS:  # other kinds (a flag raised) never touch a budget
            activity[member_id].append(occurred_at)
            note(member_id, occurred_at)
    released = dict(
        model("budgets.Forgiveness")
        .objects.filter(community_id=cid)
        .values_list("charge_id", "at")
        .iterator(chunk_size=20_000)
    )
    charges: dict[int, list[ChargeFact]] = defaultdict(list)
    for charge_id, member_id, cost, occurred_at in (
        model("budgets.Charge")
        .objects.filter(community_id=cid)
        .values_list("pk", "membership_id", "cost", "occurred_at")
        .iterator(chunk_size=20_000)
    ):
        release = released.get(charge_id)
        charges[member_id].append(
            ChargeFact(cost=cost, occurred_at=occurred_at, released_at=release)
        )
        note(member_id, occurred_at)
        if release is not None:
            note(member_id, release)
    snapshots = {
        s["membership_id"]: s
        for s in model("budgets.MemberBudget")
        .objects.filter(community_id=cid)
        .values("membership_id", "policy_version", "computed_at", *COMPARED)
        .iterator(chunk_size=20_000)
    }
    members = list(
        model("community.Membership").objects.filter(community_id=cid).values_list("pk", flat=True)
    )
    missing, stale, old_policy, wrong = [], [], [], []
    for member_id in members:
        snap = snapshots.get(member_id)
        if snap is None:
            missing.append(member_id)
            continue
        at = snap["computed_at"]
        if snap["policy_version"] != row.version:
            old_policy.append(member_id)
        if member_id in latest and latest[member_id] > at:
            stale.append(member_id)
        expected = compute_budget(
            policy, at, activity_times=activity[member_id], charges=charges[member_id]
        ).rounded()
        diffs = {
            name: [str(snap[name]), str(getattr(expected, name))]
            for name in COMPARED
            if snap[name] != getattr(expected, name)
        }
        if diffs:
            wrong.append({"member": member_id, "at": _iso(at), "stored_vs_pure": diffs})
    return {
        "members": len(members),
        "policy_version": row.version,
        "missing": len(missing),
        "stale": len(stale),
        "old_policy": len(old_policy),
        "mismatched": len(wrong),
        "examples": wrong[:EXAMPLES],
        "missing_examples": missing[:EXAMPLES],
        "stale_examples": stale[:EXAMPLES],
        "tiers": dict(
            model("budgets.MemberBudget")
            .objects.filter(community_id=cid)
            .values_list("tier")
            .annotate(n=Count("pk"))
            .values_list("tier", "n")
        ),
        "ok": not (missing or stale or old_policy or wrong),
    }


def progress(slug: str, version: int) -> Answer:
    """How many snapshots the running recalculation has written (cheap: one count)."""
    cid = community_id(slug)
    snapshots = model("budgets.MemberBudget").objects.filter(community_id=cid)
    return {
        "members": model("community.Membership").objects.filter(community_id=cid).count(),
        "done": snapshots.filter(policy_version__gte=version).count(),
    }


def events(slug: str, source: str, prefix: str, count: int) -> Answer:
    """Are the events ``<prefix>0`` .. ``<prefix><count-1>`` each stored exactly once, each
    friction event with exactly one charge?"""
    cid = community_id(slug)
    stored = model("community.ConductEvent").objects.filter(
        community_id=cid, source=source, external_id__startswith=prefix
    )
    seen: dict[str, int] = defaultdict(int)
    friction = 0
    for external_id, kind in stored.values_list("external_id", "kind").iterator(chunk_size=20_000):
        seen[external_id] += 1
        friction += kind in FRICTION_KINDS
    expected = {f"{prefix}{n}" for n in range(count)}
    missing = sorted(expected - set(seen))
    charged = (
        model("budgets.Charge")
        .objects.filter(
            community_id=cid, event__source=source, event__external_id__startswith=prefix
        )
        .count()
    )
    return {
        "expected": count,
        "stored": sum(seen.values()),
        "missing": len(missing),
        "missing_examples": missing[:EXAMPLES],
        "duplicated": sum(1 for n in seen.values() if n > 1),
        "unexpected": len(set(seen) - expected),
        "friction": friction,
        "charges": charged,
        "ok": not missing and all(n == 1 for n in seen.values()) and set(seen) <= expected,
    }


def forum_events(slug: str, external_ids: list[str]) -> Answer:
    """The conduct events expected from Discourse deliveries, each exactly once."""
    cid = community_id(slug)
    counts = dict(
        model("community.ConductEvent")
        .objects.filter(community_id=cid, source="discourse", external_id__in=external_ids)
        .values_list("external_id")
        .annotate(n=Count("pk"))
        .values_list("external_id", "n")
    )
    missing = [e for e in external_ids if e not in counts]
    charges = (
        model("budgets.Charge")
        .objects.filter(community_id=cid, event__source="discourse", kind__in=FRICTION_KINDS)
        .count()
    )
    return {
        "expected": len(external_ids),
        "stored": sum(counts.values()),
        "missing": len(missing),
        "missing_examples": missing[:EXAMPLES],
        "duplicated": sum(1 for n in counts.values() if n > 1),
        "charges": charges,
        "ok": not missing and all(n == 1 for n in counts.values()),
    }


def deliveries(slug: str) -> Answer:
    cid = community_id(slug)
    rows = (
        model("integrations.InboundDelivery")
        .objects.filter(connection__community_id=cid)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    by_status = dict(rows)
    return {
        "by_status": by_status,
        "total": sum(by_status.values()),
        "unprocessed": by_status.get("pending", 0) + by_status.get("failed", 0),
    }


def state(slug: str) -> Answer:
    """What is still in flight: dirty members, recalculation flags, undelivered domain events."""
    cid = community_id(slug)
    flag = model("budgets.RecalcFlag").objects.filter(community_id=cid).first()
    runs = model("budgets.RecalcRun").objects.filter(community_id=cid)
    last = runs.order_by("-started_at").values("kind", "duration_seconds", "members").first()
    full = runs.filter(kind="full").order_by("-started_at").values("duration_seconds").first()
    return {
        "dirty": model("budgets.DirtyMember").objects.filter(community_id=cid).count(),
        "pending": bool(flag and flag.pending),
        "full_requested": bool(flag and flag.full_requested_at),
        "runs": runs.count(),
        "last_run": last,
        "last_full_seconds": full["duration_seconds"] if full else None,
        "last_run_at": _iso(runs.aggregate(m=Max("started_at"))["m"]),
        "undispatched": model("community.DomainEvent")
        .objects.filter(community_id=cid, dispatched_at__isnull=True)
        .count(),
    }


def cooldown(pk: int) -> Answer:
    row = model("incidents.Cooldown").objects.get(pk=pk)
    return {
        "ends_at": _iso(row.ends_at),
        "ended_at": _iso(row.ended_at),
        "end_reason": row.end_reason,
        "overdue": row.ended_at is None and row.ends_at <= timezone.now(),
    }


COMMANDS: dict[str, Callable[..., Answer]] = {
    "budgets": budgets,
    "progress": progress,
    "events": events,
    "forum_events": forum_events,
    "deliveries": deliveries,
    "state": state,
    "cooldown": cooldown,
}


def answer(request: dict[str, Any]) -> Answer:
    command = COMMANDS[request.pop("cmd")]
    try:
        return {"ok_call": True, **command(**request)}
    except Exception as exc:  # a database that is restarting, a missing row: say so
        return {"ok_call": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
    finally:
        connections.close_all()


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(json.loads(line))
        except Exception:
            reply = {"ok_call": False, "error": traceback.format_exc()[-500:]}
        sys.stdout.write(json.dumps(reply, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
