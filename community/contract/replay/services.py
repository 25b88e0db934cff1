"""Replays of clauses over stored history: ask for one, run it, dismiss it.

Public services:

* ``request_replay(community=..., definition=..., start=..., end=..., by=..., clause=...)``
* ``run_replay(replay_id=...)``: the task's body; safe to kill and to run again.
* ``dismiss_replay(replay=...)``
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from community.contract.replay.episodes import MINUTE, Episode, replay_alerts
from community.contract.replay.history import load_events
from community.contract.replay.models import DEFAULT_PERIOD, Replay, ReplayStatus
from community.contract.slo import SIX_PLACES, ClauseDefinition
from community.jobs import enqueue_after_commit
from community.models import Clause, ClauseAlert, Community, Space
from community.services import ServiceError
from community.vocabulary import REVERSING_KINDS

MAX_PERIOD = timedelta(days=366)


class ReplayInvalid(ServiceError):
    """A replay that cannot be asked for; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _on_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def default_period(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last 30 days, to the last whole minute."""
    end = _on_minute(now or timezone.now())
    return end - DEFAULT_PERIOD, end


def request_replay(
    *,
    community: Community,
    definition: ClauseDefinition,
    start: datetime | None = None,
    end: datetime | None = None,
    by: User | None = None,
    clause: Clause | None = None,
) -> Replay:
    """Keep a queued replay and start it after commit. Refuses an invalid clause or period."""
    errors = definition.errors()
    if errors:
        raise ReplayInvalid(*errors[0])
    now = timezone.now()
    _, default_end = default_period(now)
    end = _on_minute(end) if end is not None else default_end
    start = _on_minute(start) if start is not None else end - DEFAULT_PERIOD
    if end > now:
        raise ReplayInvalid("to", "A replay can only look at the past: the end is in the future.")
    if start >= end:
        raise ReplayInvalid("from", "The start of the period must be before its end.")
    if end - start > MAX_PERIOD:
        raise ReplayInvalid("from", "A replay can cover at most a year.")
    replay = Replay.objects.create(
        community=community,
        requested_by=by,
        clause=clause,
        definition=definition.as_dict(),
        period_from=start,
        period_to=end,
    )
    enqueue_after_commit("replay.run_replay", replay.pk)
    return replay


def dismiss_replay(*, replay: Replay) -> Replay:
    replay.status = ReplayStatus.DISMISSED
    replay.save(update_fields=["status"])
    return replay


def _progress(replay_id: int, value: int) -> None:
    Replay.objects.filter(pk=replay_id, status=ReplayStatus.RUNNING).update(progress=value)


def run_replay(*, replay_id: int) -> bool:
    """Load the events once, replay every minute, store the results. Running it again (after a
    kill) starts over and writes the same results; a dismissed or missing replay is skipped."""
    updated = Replay.objects.filter(
        pk=replay_id, status__in=[ReplayStatus.QUEUED, ReplayStatus.RUNNING, ReplayStatus.FAILED]
    ).update(status=ReplayStatus.RUNNING, progress=0)
    if not updated:
        return False
    replay = Replay.objects.get(pk=replay_id)
    definition = ClauseDefinition.from_dict(replay.definition)
    try:
        events = load_events(
            community_id=replay.community_id,
            definition=definition,
            start=replay.period_from,
            end=replay.period_to,
        )
        _progress(replay_id, 10)
        episodes = replay_alerts(
            definition=definition,
            events=events,
            start=replay.period_from,
            end=replay.period_to,
            reversing=REVERSING_KINDS,
            progress=lambda p: _progress(replay_id, 10 + p * 85 // 100),
        )
        in_period = [e for e in events if replay.period_from < e.recorded_at <= replay.period_to]
        results = {
            "events": len(in_period),
            "alerts": [_episode_row(e) for e in episodes],
            "live_alerts": _live_alerts(replay),
            "space_names": _space_names(replay, episodes),
        }
    except Exception as error:
        Replay.objects.filter(pk=replay_id).update(
            status=ReplayStatus.FAILED, error=str(error)[:300], finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        Replay.objects.filter(pk=replay_id, status=ReplayStatus.RUNNING).update(
            status=ReplayStatus.DONE, progress=100, results=results, finished_at=timezone.now()
        )
    return True


def _episode_row(episode: Episode) -> dict[str, Any]:
    return {
        "rule": episode.rule,
        "severity": episode.severity,
        "scope": "" if episode.space_id is None else str(episode.space_id),
        "fired_at": episode.fired_at.isoformat(),
        "cleared_at": None if episode.cleared_at is None else episode.cleared_at.isoformat(),
        # six places, as the live path stores them
        "burn_rate_long": str(Decimal(episode.burn_rate_long).quantize(SIX_PLACES)),
        "burn_rate_short": str(Decimal(episode.burn_rate_short).quantize(SIX_PLACES)),
        "bad_long": episode.bad_long,
        "total_long": episode.total_long,
    }


def _live_alerts(replay: Replay) -> list[dict[str, Any]] | None:
    """What the live path recorded for the same clause in the period (None for a new draft)."""
    if replay.clause_id is None:
        return None
    alerts = ClauseAlert.objects.filter(
        clause_id=replay.clause_id,
        fired_at__gt=replay.period_from,
        fired_at__lte=replay.period_to,
    ).order_by("fired_at", "scope", "rule")
    return [
        {
            "rule": a.rule,
            "severity": a.severity,
            "scope": a.scope,
            "fired_at": a.fired_at.isoformat(),
            "cleared_at": None if a.cleared_at is None else a.cleared_at.isoformat(),
            "burn_rate_long": str(a.burn_rate_long),
            "burn_rate_short": str(a.burn_rate_short),
            "bad_long": a.bad_long,
            "total_long": a.total_long,
        }
        for a in alerts
    ]


def _space_names(replay: Replay, episodes: list[Episode]) -> dict[str, str]:
    ids = {e.space_id for e in episodes if e.space_id is not None}
    return {
        str(pk): name
        for pk, name in Space.objects.filter(
            community_id=replay.community_id, pk__in=ids
        ).values_list("pk", "name")
    }


def replay_minutes(replay: Replay) -> int:
    return int((replay.period_to - replay.period_from) / MINUTE)
