"""Game days: start (with its refusals), feed the recording into the sandbox, stop (by a
moderator, by itself when a real incident starts), and the report.

A game day never writes to the real community: every write goes to its sandbox, which has no
forum connection, no keys and no webhook subscriptions (``sandbox.py``).
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from community.jobs import enqueue_after_commit
from community.models import (
    ClauseSnapshot,
    Community,
    DomainEvent,
    DomainEventType,
)
from community.services import EventInput, ServiceError, ingest_events
from community.tiers import Tier
from incidents.gamedays import scoring
from incidents.gamedays.models import GameDay, GameDayStatus
from incidents.gamedays.recordings import Recording
from incidents.gamedays.sandbox import build_sandbox
from incidents.models import Incident, Runbook, StepRun

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

SOURCE = "gameday"
FEED_TASK = "gamedays.feed"
# Wake a little after the next event is due, never a little before.
FEED_MARGIN_SECONDS = 0.05
INCIDENT_OPEN = (
    "A game day can start only when no real incident is open: “{title}” is still open. "
    "Rehearse once it is resolved."
)
BUDGET_UNHEALTHY = (
    "A game day can start only when every clause budget is healthy: “{title}” is not. "
    "Rehearse once it has recovered."
)
ALREADY_RUNNING = "A game day is already running for this community: finish it first."
INTERRUPTED = "Stopped by itself: a real incident started (“{title}”)."


def sandbox_ids() -> QuerySet[Any]:
    # Without the nulls of purged sandboxes: ``NOT IN`` a list holding a null matches nothing.
    return GameDay.objects.filter(sandbox__isnull=False).values("sandbox_id")


def is_sandbox(community_id: int) -> bool:
    return GameDay.objects.filter(sandbox_id=community_id).exists()


def _refusal(community: Community) -> str | None:
    """Why a game day may not start now (None: it may)."""
    real_open = Incident.objects.for_community(community).open().order_by("declared_at").first()
    if real_open is not None:
        return INCIDENT_OPEN.format(title=real_open.title)
    unhealthy = (
        ClauseSnapshot.objects.latest_per_clause()
        .filter(clause__community=community, clause__is_live=True, sli__isnull=False)
        .exclude(tier=Tier.HEALTHY)
        .select_related("clause")
        .first()
    )
    if unhealthy is not None:
        return BUDGET_UNHEALTHY.format(title=unhealthy.clause.title)
    if GameDay.objects.filter(community=community).running().exists():
        return ALREADY_RUNNING
    return None


@transaction.atomic
def create_game_day(
    *,
    community: Community,
    recording: Recording,
    runbook: Runbook,
    speed: int,
    by: User | None,
    started_at: datetime | None = None,
) -> GameDay:
    """The game day's row and its sandbox, without the checks or the feeder: the one way both
    ``start_game_day`` (after its checks) and the demo's history (a rehearsal in the past) make
    one."""
    sandbox, copy = build_sandbox(real=community, runbook=runbook)
    return GameDay.objects.create(
        community=community,
        sandbox=sandbox,
        runbook_name=runbook.name,
        sandbox_runbook_id=copy.pk,
        recording_kind=recording.kind,
        recording_title=recording.title,
        events=recording.events,
        speed=speed,
        started_by=by,
        started_at=started_at or timezone.now(),
    )


def start_game_day(
    *,
    community: Community,
    recording: Recording,
    runbook: Runbook,
    speed: int,
    by: User | None,
) -> GameDay:
    """Build the sandbox and start feeding the recording into it. Refused, with nothing
    changed, while a real incident is open, a clause budget is not healthy, or another game day
    runs; also for a runbook of another community, a retired one, or an unknown speed."""
    if is_sandbox(community.pk):
        raise ServiceError("A rehearsal cannot start a game day of its own.")
    if runbook.community_id != community.pk:
        raise ServiceError("That runbook belongs to another community.")
    if not runbook.is_active:
        raise ServiceError("That runbook is retired: choose an active one.")
    if speed not in scoring.SPEEDS:
        raise ServiceError("Choose a speed of 1, 10, 30 or 60 times.")
    if not recording.events:
        raise ServiceError("That recording has no events to replay.")
    with transaction.atomic():
        Community.objects.select_for_update(no_key=True).filter(pk=community.pk).first()
        reason = _refusal(community)
        if reason:
            raise ServiceError(reason)
        game_day = create_game_day(
            community=community, recording=recording, runbook=runbook, speed=speed, by=by
        )
        first = float(recording.events[0]["at"]) / speed
        enqueue_after_commit(FEED_TASK, game_day.pk, countdown=first + FEED_MARGIN_SECONDS)
    return game_day


def _event_input(game_day: GameDay, index: int, item: dict[str, Any], now: Any) -> EventInput:
    member = str(item.get("member") or "")
    space = str(item.get("space") or "")
    return EventInput(
        external_id=f"gameday-{game_day.pk}-{index}",
        kind=item["kind"],
        occurred_at=now,
        member_external_id=member,
        member_username=member,
        space_external_id=space,
        space_name=space,
        space_kind=item.get("space_kind") or "topic",
        subject=f"gameday-{game_day.pk}-{item['subject']}" if item.get("subject") else "",
        category=item.get("category") or "",
        severity=item.get("severity") or "",
    )


def feed_game_day(*, game_day_id: int) -> float | None:
    """Send the recorded events due on the accelerated clock into the sandbox; the wall-clock
    seconds until the next batch, or None when there is nothing left to send.

    Safe to kill and rerun: the cursor moves in the same transaction as the events it sent, and
    each event's id is fixed by its place in the recording, so a rerun stores nothing twice.
    """
    with transaction.atomic():
        game_day = GameDay.objects.select_for_update().filter(pk=game_day_id).first()
        if game_day is None or not game_day.is_running or game_day.sandbox is None:
            return None
        real_open = Incident.objects.for_community(game_day.community).open().first()
        if real_open is not None:
            _stop(game_day, GameDayStatus.INTERRUPTED, INTERRUPTED.format(title=real_open.title))
            return None
        now = timezone.now()
        elapsed = (now - game_day.started_at).total_seconds()
        offsets = [float(e["at"]) for e in game_day.events]
        due = scoring.due_count(offsets, elapsed_seconds=elapsed, speed=game_day.speed)
        sent = due > game_day.emitted
        if sent:
            batch = [
                _event_input(game_day, i, game_day.events[i], now)
                for i in range(game_day.emitted, due)
            ]
            ingest_events(community=game_day.sandbox, events=batch, source=SOURCE)
            game_day.emitted = due
            fields = ["emitted"]
            if due >= len(offsets):
                game_day.fed_at = now
                fields.append("fed_at")
            game_day.save(update_fields=fields)
        pause = scoring.pause_before_next(
            offsets, emitted=game_day.emitted, elapsed_seconds=elapsed, speed=game_day.speed
        )
        # Only a call that sent something schedules the next one: a second chain (the sweep's)
        # dies at its first call that finds nothing new, and one woken early leaves the rest to
        # the sweep, so a game day's feeder never multiplies.
        if pause is not None and sent:
            enqueue_after_commit(FEED_TASK, game_day.pk, countdown=pause + FEED_MARGIN_SECONDS)
    return pause


def resume_feeding() -> int:
    """The sweep: re-enqueue the feeder of every running game day with events left (a lost
    task, a killed worker). Returns how many were enqueued."""
    ids = list(GameDay.objects.running().filter(fed_at__isnull=True).values_list("pk", flat=True))
    for pk in ids:
        enqueue_after_commit(FEED_TASK, pk)
    return len(ids)


def _steps(game_day: GameDay) -> list[scoring.StepFigure]:
    rows = StepRun.objects.filter(
        run__incident__community=game_day.sandbox, run__runbook_id=game_day.sandbox_runbook_id
    ).order_by("run__started_at", "position")
    return [
        scoring.StepFigure(s.position, s.title, s.status, s.finished_at, s.due_at) for s in rows
    ]


def compute_report(game_day: GameDay) -> dict[str, Any]:
    """The rehearsal's figures, read from the sandbox (never from the real community); once the
    sandbox is removed, the report frozen at the end."""
    if game_day.sandbox_id is None:
        return game_day.report
    incident = Incident.objects.filter(community=game_day.sandbox).order_by("declared_at").first()
    report = scoring.build_report(
        declared_at=incident.declared_at if incident else None,
        facilitator_at=incident.facilitator_at if incident else None,
        first_cooldown_at=incident.first_cooldown_at if incident else None,
        steps=_steps(game_day) if incident else [],
    )
    data = asdict(report)
    data["incident_declared"] = incident is not None
    data["events_sent"] = game_day.emitted
    return data


def _stop(game_day: GameDay, status: str, reason: str) -> None:
    game_day.status = status
    game_day.ended_at = timezone.now()
    game_day.stop_reason = reason
    game_day.report = compute_report(game_day)
    game_day.save(update_fields=["status", "ended_at", "stop_reason", "report"])
    logger.info("game day %s stopped (%s)", game_day.pk, status)


def stop_game_day(*, game_day: GameDay, by: User | None) -> GameDay:
    """Finish the rehearsal: the feeder stops and the report is frozen."""
    with transaction.atomic():
        locked = GameDay.objects.select_for_update().get(pk=game_day.pk)
        if not locked.is_running:
            raise ServiceError("This game day has already ended.")
        name = by.get_username() if by is not None else "a moderator"
        _stop(locked, GameDayStatus.FINISHED, f"Finished by {name}.")
    return locked


def on_incident_declared(event: DomainEvent) -> None:
    """Subscriber: a real incident stops every running game day of its community at once
    (incidents declared inside a sandbox are the rehearsal itself and change nothing)."""
    if event.type != DomainEventType.INCIDENT_DECLARED:
        return
    title = str(event.payload.get("title", ""))
    with transaction.atomic():
        running = GameDay.objects.select_for_update().filter(
            community_id=event.community_id, status=GameDayStatus.RUNNING
        )
        for game_day in running:
            _stop(game_day, GameDayStatus.INTERRUPTED, INTERRUPTED.format(title=title))


def expected_minutes(game_day: GameDay) -> float:
    seconds = float(game_day.events[-1]["at"]) if game_day.events else 0.0
    return scoring.wall_minutes(seconds, game_day.speed)


def ends_around(game_day: GameDay) -> Any:
    return game_day.started_at + timedelta(minutes=expected_minutes(game_day))
