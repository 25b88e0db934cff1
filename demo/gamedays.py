"""The demo's game days: a finished rehearsal of Runbook A on the shipped sample recording,
three days ago, with its report; and an older one whose sandbox the retention purge removed,
its report kept (docs/gamedays.md).

Like the other demo modules it writes the history directly (the service refuses a game day
while the demo has open incidents, which is the point of the refusal); the sandbox is built by
the service's own ``create_game_day`` (without the start's checks and feeder), so it is a real
hidden copy of the community."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from community.models import Community, ConductEvent, Membership, Space, SpaceKind
from demo.context import MODERATOR_USERNAME, DemoContext
from incidents.gamedays import services
from incidents.gamedays.models import GameDay, GameDayStatus
from incidents.gamedays.purge import purge_sandboxes
from incidents.gamedays.recordings import load_sample
from incidents.models import (
    DetectedBy,
    Incident,
    IncidentRole,
    IncidentStatus,
    RoleKind,
    Runbook,
    RunbookRun,
    StepRun,
    StepStatus,
)
from incidents.starter_runbooks import RUNBOOK_A, install_starter_runbooks

SPEED = 60
OLD_REHEARSAL_DAYS = 45


def seed_game_days(ctx: DemoContext) -> None:
    community = ctx.community
    if GameDay.objects.filter(community=community).exists():
        return
    install_starter_runbooks(community=community)
    runbook = Runbook.objects.get(community=community, name=RUNBOOK_A)
    _rehearsal(community, runbook, ctx.now - timedelta(days=3))
    # An older rehearsal, past the retention period: the hourly purge removed its sandbox and
    # kept its report (docs/gamedays.md).
    _rehearsal(community, runbook, ctx.now - timedelta(days=OLD_REHEARSAL_DAYS))
    purge_sandboxes(now=ctx.now)


def _rehearsal(community: Community, runbook: Runbook, started: datetime) -> GameDay:
    """A finished game day on the sample, its sandbox holding what the rehearsal played."""
    recording = load_sample("heated_thread")
    game_day = services.create_game_day(
        community=community,
        recording=recording,
        runbook=runbook,
        speed=SPEED,
        by=get_user_model().objects.get(username=MODERATOR_USERNAME),
        started_at=started,
    )
    sandbox = game_day.sandbox
    assert sandbox is not None  # just built
    space = Space.objects.create(
        community=sandbox,
        name="Thread: the moderation change",
        kind=SpaceKind.TOPIC,
        source=services.SOURCE,
        external_id="Thread: the moderation change",
    )
    members: dict[str, Membership] = {}
    rows = []
    for i, item in enumerate(recording.events):
        name = item["member"]
        if name not in members:
            members[name] = Membership.objects.create(community=sandbox, display_name=name)
        at = started + timedelta(seconds=item["at"] / SPEED)
        rows.append(
            ConductEvent(
                community=sandbox,
                kind=item["kind"],
                category=item.get("category", ""),
                severity=item.get("severity", ""),
                member=members[name],
                space=space,
                subject=item.get("subject", ""),
                occurred_at=at,
                recorded_at=at,
                source=services.SOURCE,
                external_id=f"gameday-{game_day.pk}-{i}",
            )
        )
    ConductEvent.objects.bulk_create(rows)
    _rehearsed_incident(game_day, sandbox, space)
    game_day.emitted = len(recording.events)
    game_day.fed_at = started + timedelta(minutes=services.expected_minutes(game_day))
    game_day.status = GameDayStatus.FINISHED
    game_day.ended_at = started + timedelta(minutes=9)
    game_day.stop_reason = f"Finished by {MODERATOR_USERNAME}."
    game_day.report = services.compute_report(game_day)
    game_day.save()
    return game_day


def _rehearsed_incident(game_day: GameDay, sandbox: Community, space: Space) -> None:
    """What the moderators did in the rehearsal's war room: declared from the clause alert,
    a facilitator after two minutes, the cooldown after three, one step skipped, one late."""
    t0 = game_day.started_at + timedelta(seconds=25)
    runbook = Runbook.objects.get(pk=game_day.sandbox_runbook_id)
    user = get_user_model().objects.get(username=MODERATOR_USERNAME)
    mod = Membership.objects.get(community=sandbox, user=user)
    inc = Incident.objects.create(
        community=sandbox,
        title="Fast burn on “Disagree without hostility”",
        severity="SEV3",
        status=IncidentStatus.RESOLVED,
        detected_by=DetectedBy.CLAUSE_ALERT,
        declared_by=user,
        declared_at=t0,
        facilitator_at=t0 + timedelta(minutes=2),
        first_cooldown_at=t0 + timedelta(minutes=3),
        mitigating_at=t0 + timedelta(minutes=3),
        resolved_at=t0 + timedelta(minutes=8),
    )
    inc.spaces.set([space])
    IncidentRole.objects.create(
        incident=inc,
        kind=RoleKind.FACILITATOR,
        membership=mod,
        assigned_by=user,
        assigned_at=t0 + timedelta(minutes=2),
    )
    run = RunbookRun.objects.create(
        incident=inc,
        runbook=runbook,
        started_by=user,
        started_at=t0,
        finished_at=t0 + timedelta(minutes=8),
    )
    steps = list(runbook.steps.order_by("position"))
    rows = []
    for i, step in enumerate(steps):
        done_at = t0 + timedelta(minutes=1 + i)
        due = done_at if i != 2 else done_at - timedelta(minutes=2)  # the third step was late
        skipped = i == len(steps) - 1
        rows.append(
            StepRun(
                run=run,
                position=step.position,
                title=step.title,
                kind=step.kind,
                config=step.config,
                status=StepStatus.SKIPPED if skipped else StepStatus.DONE,
                reason="Skipped in the rehearsal: the thread was calm." if skipped else "",
                started_at=t0,
                finished_at=done_at,
                due_at=due,
            )
        )
    StepRun.objects.bulk_create(rows)
