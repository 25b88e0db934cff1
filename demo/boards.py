"""Demo step (order 90): what the boards have to show.

Twelve new members who joined in the last month (and were last seen six days ago), whose
posts draw upheld flags far more often than the regulars' do, so the fairness board flags a
real disparity (newcomers charged several times as often per post; twelve of them, well over
the five a cohort needs before it shows a figure). Their posts carry the forum's trust level
0, as Discourse sends it, so the trust-level view has a group too. The change-safety board
reads the incidents, appeals and postmortems the earlier steps seeded. Idempotent.
"""

from __future__ import annotations

import random
from datetime import timedelta

from celery import signature

from budgets import services
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import recalculate_community
from community.services import EventInput, ingest_events, upsert_identities
from demo.community import SPACES
from demo.context import DEMO_SOURCE, DemoContext

NEWCOMERS = 12
# The newcomers' last post and flag are at least this many days before the demo's now: before
# the policy trial in Plot Swaps (demo.releases, five days ago), whose gate they would sway, and
# outside every alert window the demo's live hour reads (the longest is three days).
QUIET_DAYS = 6
NAMES = ["juno", "kit", "lior", "mae", "nico", "oona", "pim", "quinn", "remy", "sol", "tove", "uma"]


def seed_boards(ctx: DemoContext) -> None:
    community, now = ctx.community, ctx.now
    if community.events.filter(source=DEMO_SOURCE, external_id__startswith="new-post-").exists():
        ctx.log("  newcomers already present: nothing to add")
        return
    rng = random.Random(90)
    identities = {str(5000 + i): f"{NAMES[i]}_sprout" for i in range(NEWCOMERS)}
    upsert_identities(community=community, source=DEMO_SOURCE, identities=identities)
    events = []
    # Everything here was known days ago, so a replay of the demo's live hour finds only what
    # the live evaluation saw then.
    last = now - timedelta(days=QUIET_DAYS)
    for i, author in enumerate(identities):
        joined = now - timedelta(days=rng.randint(QUIET_DAYS + 1, 24))
        for n in range(8):
            at = joined + timedelta(hours=rng.uniform(1, 48) * (n + 1))
            at = min(at, last - timedelta(hours=4))
            space = rng.choice(SPACES[1:])
            pid = f"new-post-{i}-{n}"
            events.append(
                EventInput(
                    external_id=pid,
                    kind="post",
                    occurred_at=at,
                    recorded_at=at,
                    member_external_id=author,
                    space_external_id=space[0],
                    space_name=space[1],
                    subject=pid,
                    payload={"trust_level": 0},
                )
            )
            if n in (2, 6):
                events.append(
                    EventInput(
                        external_id=f"new-review-{i}-{n}",
                        kind="flag_upheld",
                        occurred_at=at,
                        recorded_at=at + timedelta(hours=3),
                        member_external_id=author,
                        space_external_id=space[0],
                        space_name=space[1],
                        subject=pid,
                        category="inappropriate",
                        payload={"flag_types": ["inappropriate"]},
                    )
                )
    result = ingest_events(community=community, events=events, source=DEMO_SOURCE)
    # Ingest charges friction as it arrives; this catches any the receivers left (none, usually).
    services.charge_existing_events(community=community)
    recalculate_community(community=community, kind=RecalcKind.FULL, at=now)
    ctx.log(f"  {NEWCOMERS} new members and {result.accepted} events")


# The fairness board's default window (``boards.fairness.DEFAULT_WINDOW_DAYS``; demo imports no
# board code).
FAIRNESS_WINDOW_DAYS = 30


def count_fairness(ctx: DemoContext) -> None:
    """After every step that makes what fairness counts (members, posts, charges, tiers,
    appeals; only the forum connection comes after it, and changes none of those): the figures
    counted and stored, as the hourly task leaves them, so the board opens on them. Run here by
    the task's registered name (the demo imports no board code), in this process rather than on
    a worker."""
    signature("boards.compute_fairness", args=(ctx.community.pk, FAIRNESS_WINDOW_DAYS)).apply()
    ctx.log("  the fairness figures counted")
