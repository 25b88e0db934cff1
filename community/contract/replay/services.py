"""Replays over stored history: of a clause (what would have fired, which incidents that would
have suggested, a runbook's automated steps on them, the clause's standing at the end) and of a
draft budget policy (the members' tiers and charges at the end), each beside the live version.
Ask for one, run it, dismiss it.

Public services:

* ``request_replay(community=..., definition=..., policy=..., runbook_id=..., start=...,
  end=..., by=..., clause=...)``
* ``run_replay(replay_id=...)``: the task's body; safe to kill and to run again.
* ``dismiss_replay(replay=...)``
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from community.contract.clause_words import clause_problems
from community.contract.replay import hooks
from community.contract.replay.episodes import MINUTE, Episode, replay_alerts
from community.contract.replay.history import load_events
from community.contract.replay.models import DEFAULT_PERIOD, Replay, ReplayStatus
from community.contract.replay.standing import standing_at
from community.contract.slo import SIX_PLACES, ClauseDefinition
from community.jobs import enqueue_after_commit
from community.models import Clause, ClauseAlert, Community, ConductEvent, Space
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


def _period(
    community: Community, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    now = timezone.now()
    _start, default_end = default_period(now)
    end = _on_minute(end) if end is not None else default_end
    start = _on_minute(start) if start is not None else end - DEFAULT_PERIOD
    if end > now:
        raise ReplayInvalid(
            "to", _("A replay can only look at the past: the end is in the future.")
        )
    if start >= end:
        raise ReplayInvalid("from", _("The start of the period must be before its end."))
    if end - start > MAX_PERIOD:
        raise ReplayInvalid("from", _("A replay can cover at most a year."))
    first = (
        ConductEvent.objects.filter(community=community)
        .order_by("recorded_at")
        .values_list("recorded_at", flat=True)
        .first()
    )
    # No events at all: the replay runs and says so. History that starts after the period does
    # not cover it: nothing could be known then.
    if first is not None and end < _on_minute(first):
        raise ReplayInvalid(
            "to",
            _("The period ends before the stored history starts (%(when)s UTC).")
            % {"when": formats.date_format(first.astimezone(UTC), "DATETIME_FORMAT")},
        )
    return start, end


def _check_policy(community: Community, policy: dict[str, Any]) -> None:
    replayer = hooks.policy_replayer()
    if replayer is None:
        raise ReplayInvalid("policy", _("Budget policies cannot be replayed here."))
    errors = replayer.check(community.pk, policy)
    if errors:
        field, message = sorted(errors.items())[0]
        raise ReplayInvalid("policy" if field == "policy" else f"policy.{field}", message)


def _check_runbook(community: Community, runbook_id: int) -> None:
    replayer = hooks.incident_replayer()
    if replayer is None or replayer.runbook_name(community.pk, runbook_id) is None:
        raise ReplayInvalid("runbook_id", _("There is no such runbook in this community."))


def request_replay(
    *,
    community: Community,
    definition: ClauseDefinition | None,
    policy: dict[str, Any] | None = None,
    runbook_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    by: User | None = None,
    clause: Clause | None = None,
) -> Replay:
    """Keep a queued replay and start it after commit. Refuses (``ReplayInvalid`` naming the
    field, nothing kept) an invalid clause or policy, a runbook of another community, and a
    period in the future, inverted, over a year or before the stored history."""
    if definition is None and policy is None:
        raise ReplayInvalid("clause", _("Give a clause, a draft budget policy, or both."))
    if definition is not None:
        errors = clause_problems(definition)
        if errors:
            raise ReplayInvalid(*errors[0])
    if policy is not None:
        _check_policy(community, policy)
    if runbook_id is not None:
        if definition is None:
            raise ReplayInvalid(
                "runbook_id", _("A runbook is tried on a clause's alerts: give the clause too.")
            )
        _check_runbook(community, runbook_id)
    start, end = _period(community, start, end)
    replay = Replay.objects.create(
        community=community,
        requested_by=by,
        clause=clause,
        definition={} if definition is None else definition.as_dict(),
        policy=policy,
        runbook_id=runbook_id,
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
    try:
        results = _results(replay)
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


def _results(replay: Replay) -> dict[str, Any]:
    results: dict[str, Any] = {
        "events": 0,
        "alerts": [],
        "live_alerts": None,
        "space_names": {},
        "standing": None,
        "incidents": None,
        "policy": None,
    }
    weight = 80 if replay.policy is None else 60
    if replay.definition:
        results |= _clause_results(replay, weight)
    if replay.policy is not None:
        _progress(replay.pk, weight + 10)
        replayer = hooks.policy_replayer()
        if replayer is None:
            raise ReplayInvalid("policy", "Budget policies cannot be replayed here.")
        results["policy"] = replayer.replay(
            replay.community_id, replay.policy, replay.period_from, replay.period_to
        )
        if not replay.definition:
            results["events"] = ConductEvent.objects.filter(
                community_id=replay.community_id,
                recorded_at__gt=replay.period_from,
                recorded_at__lte=replay.period_to,
            ).count()
    return results


def _clause_results(replay: Replay, weight: int) -> dict[str, Any]:
    definition = ClauseDefinition.from_dict(replay.definition)
    events = load_events(
        community_id=replay.community_id,
        definition=definition,
        start=replay.period_from,
        end=replay.period_to,
    )
    _progress(replay.pk, 10)
    episodes = replay_alerts(
        definition=definition,
        events=events,
        start=replay.period_from,
        end=replay.period_to,
        reversing=REVERSING_KINDS,
        progress=lambda p: _progress(replay.pk, 10 + p * (weight - 10) // 100),
    )
    in_period = [e for e in events if replay.period_from < e.recorded_at <= replay.period_to]
    alerts = [_episode_row(e) for e in episodes]
    live = _live_clause(replay)
    standing = {
        "replayed": standing_at(
            community_id=replay.community_id, definition=definition, at=replay.period_to
        ),
        "live": None
        if live is None
        else standing_at(community_id=replay.community_id, definition=live, at=replay.period_to),
    }
    incidents = None
    replayer = hooks.incident_replayer()
    if replayer is not None:
        incidents = replayer.replay(
            replay.community_id, alerts, replay.period_from, replay.period_to, replay.runbook_id
        )
    return {
        "events": len(in_period),
        "alerts": alerts,
        "live_alerts": _live_alerts(replay),
        "space_names": _space_names(replay, episodes),
        "standing": standing,
        "incidents": incidents,
    }


def _live_clause(replay: Replay) -> ClauseDefinition | None:
    """The live version of the replayed clause (None for a new draft or one never published)."""
    if replay.clause_id is None:
        return None
    clause = Clause.objects.filter(pk=replay.clause_id).first()
    return None if clause is None else clause.published_definition()


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
    """How many minute boundaries the period holds."""
    return int((replay.period_to - replay.period_from) / MINUTE)
