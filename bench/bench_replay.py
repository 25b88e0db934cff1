"""Replay of a clause over 30 days of 1M events (DESIGN.md §3.7), in memory.

Generates 1M events over 30 days in 12 spaces (0.5 % upheld flags, three flame-war hours, a few
hundred flags rejected later), then times ``replay_alerts`` (every minute of the 30 days, every
scope, the live path's ``decide_alerts``) against a bare floor measured in the same run: one pass
that buckets the same events into minutes and sums one window, with no alert logic.
``BENCH_REPLAY_EVENTS=100000`` picks the size. Target: at most 10 s.

The second figure is a draft budget policy's replay (``budgets.policy_replay``), its pure part:
the same number of posts by 20,000 members and a charge for each upheld flag, every member's
budget worked out under the live policy and under a stricter draft by
``budget_math.compute_budget``, and over the whole period (``budgets.policy_period``: each
member's tier at the start, at each charge and at the end, under both), against a floor that
only groups the same rows by member. The database reads before it (three queries over the
window) are not in the figure.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench.results import Row
from budgets import budget_math
from budgets.policy_period import KnownCharge, tier_path
from community.contract.replay.episodes import ReplayEvent, minute_of, replay_alerts
from community.contract.slo import ClauseDefinition

TARGET_SECONDS = 10.0
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
CLAUSE = ClauseDefinition(
    title="Disagree without hostility",
    wording="Argue with ideas, not with people.",
    total_kinds=("post",),
    bad_kinds=("flag_upheld",),
    target=Decimal("0.98"),
)


def events(size: int, rng: random.Random) -> list[ReplayEvent]:
    span = DAYS * 86400
    out = []
    wars = [START + timedelta(days=d, hours=20) for d in (4, 13, 27)]
    for n in range(size):
        if n % 50 == 0:
            at = rng.choice(wars) + timedelta(seconds=rng.uniform(0, 3600))
            bad = rng.random() < 0.3
        else:
            at = START + timedelta(seconds=rng.uniform(-3 * 86400, span))
            bad = rng.random() < 0.005
        kind = "flag_upheld" if bad else "post"
        out.append(ReplayEvent(kind, at, at, n % 12, "", f"p{n}"))
        if bad and rng.random() < 0.01:
            later = at + timedelta(hours=rng.uniform(0.1, 12))
            out.append(ReplayEvent("flag_rejected", later, later, n % 12, "", f"p{n}"))
    return out


def floor(history: list[ReplayEvent], end: datetime) -> float:
    """Bucket every event into its minute and sum one hour-long window: no alert logic."""
    began = time.perf_counter()
    minutes = minute_of(end, START)
    counts = [0] * (minutes + 1)
    for event in history:
        k = minute_of(event.recorded_at, START)
        if 0 < k <= minutes:
            counts[k] += 1
    running = 0
    for k in range(1, minutes + 1):
        running += counts[k] - (counts[k - 60] if k > 60 else 0)
    return time.perf_counter() - began


MEMBERS = 20_000
LIVE_POLICY = budget_math.Policy()
DRAFT_POLICY = budget_math.Policy(window_days=14, floor_points=Decimal(8))


def policy_rows(
    history: list[ReplayEvent], members: list[int]
) -> tuple[dict[int, list[datetime]], dict[int, list[budget_math.ChargeFact]]]:
    """Posts and charges (3 points each, as stored) grouped by member."""
    activity: dict[int, list[datetime]] = {}
    charges: dict[int, list[budget_math.ChargeFact]] = {}
    for event, member in zip(history, members, strict=True):
        if event.kind == "post":
            activity.setdefault(member, []).append(event.occurred_at)
        elif event.kind == "flag_upheld":
            charges.setdefault(member, []).append(
                budget_math.ChargeFact(Decimal(3), event.occurred_at)
            )
    return activity, charges


def policy_replay(history: list[ReplayEvent], end: datetime) -> tuple[float, float, int]:
    """(seconds to group the rows and work out both budgets of every member, floor seconds
    to group them only, members whose tier differs at the end or over the period). The draft
    costs a flag 5 points."""
    rng = random.Random(17)
    members = [rng.randrange(MEMBERS) for _ in history]
    grouped = float("inf")
    for _ in range(2):  # the faster of two: the first pays for warming up the allocator
        began = time.perf_counter()
        policy_rows(history, members)
        grouped = min(grouped, time.perf_counter() - began)
    began = time.perf_counter()
    activity, charges = policy_rows(history, members)
    changed = 0
    for member in set(activity) | set(charges):
        times = activity.get(member, [])
        facts = charges.get(member, [])
        live = budget_math.compute_budget(LIVE_POLICY, end, activity_times=times, charges=facts)
        dearer = [budget_math.ChargeFact(Decimal(5), f.occurred_at) for f in facts]
        draft = budget_math.compute_budget(DRAFT_POLICY, end, activity_times=times, charges=dearer)
        known = [(t, t) for t in times]
        paths = [
            tier_path(
                policy,
                START,
                end,
                activity=known,
                charges=[KnownCharge(f, f.occurred_at) for f in side],
            )
            for policy, side in ((LIVE_POLICY, facts), (DRAFT_POLICY, dearer))
        ]
        over_period = (paths[0].worst, paths[0].entered) != (paths[1].worst, paths[1].entered)
        changed += live.tier != draft.tier or over_period
    return time.perf_counter() - began, grouped, changed


def run() -> list[Row]:
    size = int(os.environ.get("BENCH_REPLAY_EVENTS", "1000000"))
    rng = random.Random(13)
    history = events(size, rng)
    end = START + timedelta(days=DAYS)
    bare = floor(history, end)
    began = time.perf_counter()
    episodes = replay_alerts(
        definition=CLAUSE,
        events=history,
        start=START,
        end=end,
        reversing={"flag_rejected": "flag_upheld"},
    )
    took = time.perf_counter() - began
    print(f"{'events':>9} {'replay s':>9} {'floor s':>8} {'episodes':>9}")
    print(f"{len(history):>9} {took:>9.2f} {bare:>8.2f} {len(episodes):>9}")
    policy_took, grouped, changed = policy_replay(history, end)
    print(f"{'members':>9} {'policy s':>9} {'floor s':>8} {'changed':>9}")
    print(f"{MEMBERS:>9} {policy_took:>9.2f} {grouped:>8.2f} {changed:>9}")
    return [
        Row(
            figure=f"draft policy replay, {MEMBERS:,} members, {len(history):,} events",
            measured=f"{policy_took:.2f} s",
            floor=f"{grouped:.2f} s",
            ratio=round(policy_took / grouped, 1) if grouped else None,
            target=f"≤ {TARGET_SECONDS:.0f} s",
            met=policy_took <= TARGET_SECONDS,
        ),
        Row(
            figure=f"replay of 30 days, {len(history):,} events",
            measured=f"{took:.2f} s",
            floor=f"{bare:.2f} s",
            ratio=round(took / bare, 1) if bare else None,
            target=f"≤ {TARGET_SECONDS:.0f} s",
            met=took <= TARGET_SECONDS,
        ),
    ]
