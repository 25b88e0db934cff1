"""Demo step: a kept replay of a stricter draft of "Disagree without hostility" over the last 30
days, so the replay page shows what a tighter target would have fired beside what did."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from django.contrib.auth import get_user_model

from community.contract.replay.models import Replay
from community.contract.replay.services import request_replay, run_replay
from community.models import Clause
from demo.context import MODERATOR_USERNAME, DemoContext

STRICTER_TARGET = Decimal("0.99")


def seed_replays(ctx: DemoContext) -> None:
    community = ctx.community
    if Replay.objects.filter(community=community).exists():
        return
    live = None
    for clause in Clause.objects.live().filter(community=community).order_by("pk"):
        live = clause.published_definition()
        if live is not None and live.title == "Disagree without hostility":
            break
    else:
        return
    assert live is not None
    stricter = replace(live, target=STRICTER_TARGET, min_bad_events=2)
    moderator = get_user_model().objects.filter(username=MODERATOR_USERNAME).first()
    replay = request_replay(community=community, definition=stricter, by=moderator, clause=clause)
    run_replay(replay_id=replay.pk)
