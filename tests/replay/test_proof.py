"""The proof: the live evaluation, run minute by minute as the schedule runs it, and the replay of
the same clause over the same period find exactly the same alert episodes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from community.contract.evaluation import evaluate_community
from community.contract.replay.models import Replay, ReplayStatus
from community.contract.replay.services import request_replay, run_replay
from community.models import ClauseAlert, Community
from community.services import EventInput, ingest_events
from tests.contract.helpers import posts_and_flags, published_clause

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
HOURS = 5

pytestmark = pytest.mark.django_db


def _history(community: Community) -> None:
    """Quiet traffic, two flame wars in two spaces, flags upheld late, and flags rejected."""
    posts_and_flags(
        community,
        posts=300,
        flags=2,
        at=START - timedelta(days=3),
        spread=timedelta(days=3),
        prefix="calm",
    )
    posts_and_flags(
        community,
        posts=150,
        flags=45,
        at=START + timedelta(minutes=40, seconds=20),
        spread=timedelta(minutes=50),
        prefix="war1",
    )
    posts_and_flags(
        community,
        posts=60,
        flags=20,
        at=START + timedelta(hours=2, minutes=5),
        spread=timedelta(minutes=20),
        space="3",
        prefix="war2",
        recorded_at=START + timedelta(hours=2, minutes=31, seconds=5),
    )
    ingest_events(
        community=community,
        events=[
            EventInput(
                external_id=f"undo-{n}",
                kind="flag_rejected",
                occurred_at=START + timedelta(hours=2, minutes=5),
                member_external_id="100",
                space_external_id="3",
                space_name="Space 3",
                subject=f"war2-post-{n}",
                recorded_at=START + timedelta(hours=2, minutes=50),
            )
            for n in range(15)
        ],
    )


def _row(alert: ClauseAlert | dict) -> tuple:
    if isinstance(alert, dict):
        return (
            alert["rule"],
            alert["scope"],
            alert["fired_at"],
            alert["cleared_at"],
            alert["burn_rate_long"],
            alert["burn_rate_short"],
        )
    return (
        alert.rule,
        alert.scope,
        alert.fired_at.isoformat(),
        None if alert.cleared_at is None else alert.cleared_at.isoformat(),
        str(alert.burn_rate_long),
        str(alert.burn_rate_short),
    )


def test_the_replay_reproduces_the_live_alert_episodes(community: Community) -> None:
    clause = published_clause(community, at=START - timedelta(days=4))
    _history(community)
    for minute in range(1, HOURS * 60 + 1):
        at = START + timedelta(minutes=minute)
        with time_machine.travel(at, tick=False):
            evaluate_community(community=community, now=at)
    live = sorted(_row(a) for a in ClauseAlert.objects.filter(clause=clause))
    assert len(live) >= 4  # both wars, community-wide and in their space
    with time_machine.travel(START + timedelta(hours=HOURS, minutes=5), tick=False):
        replay = request_replay(
            community=community,
            definition=clause.published_definition(),
            start=START,
            end=START + timedelta(hours=HOURS),
            clause=clause,
        )
    assert run_replay(replay_id=replay.pk)
    replay = Replay.objects.get(pk=replay.pk)
    assert replay.status == ReplayStatus.DONE
    replayed = [e for e in replay.results["alerts"] if e["cleared_at"] is not None]
    open_live = [r for r in live if r[3] is None]
    assert sorted(_row(e) for e in replay.results["alerts"]) == live
    assert sorted(_row(e) for e in replay.results["live_alerts"]) == live
    assert len(replayed) == len(live) - len(open_live)
