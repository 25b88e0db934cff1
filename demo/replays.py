"""Demo step: kept replays over the last 30 days. A stricter draft of "Disagree without
hostility", with Runbook A tried on the incidents its alerts would have opened, so the replay
page shows what a tighter target would have fired beside what did; and a stricter draft budget
policy (a moderate slip costs 5 points instead of 3), so it shows which members' tiers and
which charges would differ."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from django.contrib.auth import get_user_model

from community.contract.replay.models import Replay
from community.contract.replay.services import request_replay, run_replay
from community.models import Clause
from demo.context import MODERATOR_USERNAME, DemoContext
from incidents.models import Runbook

STRICTER_TARGET = Decimal("0.99")
STRICTER_COSTS = {"minor": "1", "moderate": "5", "severe": "8"}


def seed_replays(ctx: DemoContext) -> None:
    community = ctx.community
    if Replay.objects.filter(community=community).exists():
        return
    live = None
    for clause in Clause.objects.live().filter(community=community).order_by("pk"):
        live = clause.published_definition()
        if live is not None and clause.slug == "disagree-without-hostility":
            break
    else:
        return
    assert live is not None
    stricter = replace(live, target=STRICTER_TARGET, min_bad_events=2)
    moderator = get_user_model().objects.filter(username=MODERATOR_USERNAME).first()
    runbook = (
        Runbook.objects.filter(community=community, name__startswith="Runbook A")
        .values_list("pk", flat=True)
        .first()
    )
    replay = request_replay(
        community=community, definition=stricter, runbook_id=runbook, by=moderator, clause=clause
    )
    run_replay(replay_id=replay.pk)
    policy = request_replay(
        community=community,
        definition=None,
        policy={"costs": {"flag_upheld": STRICTER_COSTS, "moderator_warning": STRICTER_COSTS}},
        by=moderator,
    )
    run_replay(replay_id=policy.pk)
