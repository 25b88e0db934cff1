"""Worked examples of the pure replay (DESIGN.md §3.7): minute boundaries, what was known by
then, the volume guard, reversals and the episode's start and end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from community.contract.replay.episodes import ReplayEvent, minute_of, replay_alerts
from community.contract.slo import AlertRule, ClauseDefinition, Severity

START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
FAST = AlertRule("page_fast", Severity.PAGE, Decimal(2), 60, 5)
CLAUSE = ClauseDefinition(
    title="Disagree without hostility",
    wording="Argue with ideas, not with people.",
    total_kinds=("post",),
    bad_kinds=("flag_upheld",),
    target=Decimal("0.98"),
    alert_rules=(FAST,),
)
REVERSING = {"flag_rejected": "flag_upheld"}


def burst(at: datetime, posts: int, flags: int, *, flag_at: datetime | None = None) -> list:
    events = [ReplayEvent("post", at, at, 1, "", f"p{n}") for n in range(posts)]
    events += [ReplayEvent("flag_upheld", at, flag_at or at, 1, "", f"p{n}") for n in range(flags)]
    return events


def test_an_event_counts_from_the_first_boundary_at_or_after_its_record() -> None:
    assert minute_of(START, START) == 0
    assert minute_of(START + timedelta(seconds=1), START) == 1
    assert minute_of(START + timedelta(minutes=1), START) == 1


def test_the_flame_war_hour_fires_the_fast_page_and_clears_when_it_leaves_the_short_window() -> (
    None
):
    at = START + timedelta(minutes=10, seconds=30)
    (episode, in_space) = replay_alerts(
        definition=CLAUSE,
        events=burst(at, 150, 45),
        start=START,
        end=START + timedelta(hours=2),
        reversing=REVERSING,
    )
    # known at 00:11; the 5-minute window holds it for minutes 11..15, gone at 00:16
    assert (episode.rule, episode.space_id) == ("page_fast", None)
    assert episode.fired_at == START + timedelta(minutes=11)
    assert episode.cleared_at == START + timedelta(minutes=16)
    assert Decimal(episode.burn_rate_long) == Decimal(15)
    # the space fires the same episode
    assert (in_space.space_id, in_space.fired_at) == (1, episode.fired_at)


def test_two_bad_events_are_not_a_page_whatever_the_rate() -> None:
    at = START + timedelta(minutes=3)
    assert (
        replay_alerts(
            definition=CLAUSE,
            events=burst(at, 2, 2),
            start=START,
            end=START + timedelta(hours=1),
            reversing=REVERSING,
        )
        == []
    )


def test_a_flag_counts_for_alerts_when_it_was_recorded_not_when_the_post_was_made() -> None:
    post_at = START - timedelta(days=2)
    flag_at = START + timedelta(minutes=30)
    events = burst(post_at, 150, 0) + burst(START + timedelta(minutes=29), 10, 0)
    events += [ReplayEvent("flag_upheld", post_at, flag_at, 1, "", f"p{n}") for n in range(5)]
    (episode, _space) = replay_alerts(
        definition=CLAUSE,
        events=events,
        start=START,
        end=START + timedelta(hours=1),
        reversing=REVERSING,
    )
    assert episode.fired_at == flag_at


def test_a_reversal_recorded_later_takes_the_flag_out_from_that_minute() -> None:
    at = START + timedelta(minutes=10)
    events = burst(at, 150, 45)
    events += [
        ReplayEvent("flag_rejected", at, at + timedelta(minutes=2), 1, "", f"p{n}")
        for n in range(45)
    ]
    episodes = replay_alerts(
        definition=CLAUSE,
        events=events,
        start=START,
        end=START + timedelta(hours=1),
        reversing=REVERSING,
    )
    assert {(e.fired_at, e.cleared_at) for e in episodes} == {
        (START + timedelta(minutes=10), START + timedelta(minutes=12))
    }


def test_an_episode_still_open_at_the_end_has_no_clearing_time() -> None:
    at = START + timedelta(minutes=58)
    episodes = replay_alerts(
        definition=CLAUSE,
        events=burst(at, 150, 45),
        start=START,
        end=START + timedelta(hours=1),
        reversing=REVERSING,
    )
    assert {e.cleared_at for e in episodes} == {None}


def test_progress_reaches_a_hundred() -> None:
    seen: list[int] = []
    replay_alerts(
        definition=CLAUSE,
        events=[],
        start=START,
        end=START + timedelta(hours=1),
        reversing=REVERSING,
        progress=seen.append,
    )
    assert seen[-1] == 100
