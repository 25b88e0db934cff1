"""Demo data for incidents (order 40): two runbooks, a resolved incident with its full timeline
and metrics, an active one in "mitigating" with a live cooldown, and a member's report."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from community.models import Community, Membership, Space
from demo.context import MEMBER_USERNAME, MODERATOR_USERNAME, DemoContext
from incidents import services
from incidents.models import (
    Cooldown,
    CooldownEndReason,
    CooldownMode,
    DetectedBy,
    Incident,
    IncidentReport,
    IncidentRole,
    IncidentStatus,
    ReportSource,
    ReportStatus,
    RoleKind,
    Runbook,
    RunbookRun,
    SevLevel,
    StepKind,
    StepRun,
    StepStatus,
    TimelineEntry,
    TimelineKind,
)
from incidents.starter_runbooks import RUNBOOK_A, install_starter_runbooks

RESOLVED_TITLE = "Proposals: the raised-beds vote got heated"


def seed_incidents(ctx: DemoContext) -> None:
    community = ctx.community
    rng = random.Random(40)
    runbooks = install_starter_runbooks(community=community)
    # Keyed on the demo's own incident: clause alerts (step 20) may have declared others already.
    if community.incidents.filter(title=RESOLVED_TITLE).exists():
        ctx.log("  incidents already present: nothing to add")
        return
    spaces = {s.name: s for s in community.spaces.all()}
    mod = Membership.objects.get(community=community, user__username=MODERATOR_USERNAME)
    parties = list(community.memberships.filter(identities__isnull=False).order_by("pk")[3:6])
    member = Membership.objects.get(community=community, user__username=MEMBER_USERNAME)
    resolved = _resolved_incident(
        ctx.now, community, spaces["Proposals"], mod, parties, runbooks, rng
    )
    # The demo member had reported it: they see on the status page that it was looked after.
    IncidentReport.objects.create(
        community=community,
        source=ReportSource.MEMBER,
        space=spaces["Proposals"],
        reporter=member,
        message="The raised-beds vote is turning into remarks about people.",
        status=ReportStatus.ATTACHED,
        incident=resolved,
        created_at=resolved.declared_at + timedelta(minutes=3),
        handled_at=resolved.declared_at + timedelta(minutes=3),
        resolved_notice_at=resolved.resolved_at,
    )
    _active_incident(community, spaces["Plot Swaps"], mod, parties[:2])
    # A second member's report about the same space joins the open incident (its timeline).
    services.report_heated_space(
        community=community,
        space=spaces["Plot Swaps"],
        reporter=parties[-1],
        message="Replies about the swap rota are getting sharp; people are piling on.",
    )
    IncidentReport.objects.create(
        community=community,
        source=ReportSource.MEMBER,
        space=spaces["Off-topic Lounge"],
        reporter=member,
        message="The compost thread is getting personal; could someone have a look?",
        created_at=ctx.now - timedelta(minutes=25),
    )
    ctx.log(
        "  2 runbooks, a resolved and an active incident, a report that joined each, "
        "one member report waiting on the board"
    )


RESOLVED_SUMMARY = (
    "After a slow hour the vote thread went back to the beds themselves; the vote runs to "
    "Friday as planned."
)


def _resolved_incident(
    now: datetime,
    community: Community,
    space: Space,
    mod: Membership,
    parties: list[Membership],
    runbooks: dict[str, Runbook],
    rng: random.Random,
) -> Incident:
    """Nine days ago, in Proposals: built row by row with its historical times."""
    start = (now - timedelta(days=9)).replace(hour=19, minute=12, second=0, microsecond=0)
    t_fac = start + timedelta(minutes=rng.randint(4, 9))
    t_cool = t_fac + timedelta(minutes=2)
    t_mon = t_cool + timedelta(minutes=95)
    t_res = t_mon + timedelta(hours=3)
    user = get_user_model().objects.get(username=MODERATOR_USERNAME)
    trigger = list(
        community.events.filter(space=space, kind="flag_upheld", occurred_at__lt=start)
        .order_by("-occurred_at")
        .values_list("pk", flat=True)[:4]
    )
    inc = Incident.objects.create(
        community=community,
        title=RESOLVED_TITLE,
        summary="A vote thread on the shared raised beds turned into personal remarks.",
        severity=SevLevel.SEV3,
        status=IncidentStatus.RESOLVED,
        detected_by=DetectedBy.CLAUSE_ALERT,
        trigger_event_ids=sorted(trigger),
        declared_by=user,
        declared_at=start,
        mitigating_at=t_cool,
        monitoring_at=t_mon,
        resolved_at=t_res,
        facilitator_at=t_fac,
        first_cooldown_at=t_cool,
        resolution_summary=RESOLVED_SUMMARY,
        version=12,
    )
    inc.spaces.set([space])
    inc.parties.set(parties)
    IncidentRole.objects.create(
        incident=inc, kind=RoleKind.FACILITATOR, membership=mod, assigned_by=user, assigned_at=t_fac
    )
    IncidentRole.objects.create(
        incident=inc,
        kind=RoleKind.SUPPORT,
        membership=parties[-1],
        assigned_by=user,
        assigned_at=t_fac + timedelta(minutes=1),
    )
    run = RunbookRun.objects.create(
        incident=inc,
        runbook=runbooks[RUNBOOK_A],
        started_by=user,
        started_at=t_cool,
        finished_at=t_mon,
    )
    step_runs = [
        StepRun(
            run=run,
            position=s.position,
            title=s.title,
            kind=s.kind,
            config=s.config,
            status=StepStatus.DONE,
            attempts=1 if s.kind != StepKind.CHECKLIST else 0,
            started_at=t_cool,
            finished_at=t_cool + timedelta(minutes=i * 20),
        )
        for i, s in enumerate(runbooks[RUNBOOK_A].steps.order_by("position"))
    ]
    StepRun.objects.bulk_create(step_runs)
    Cooldown.objects.create(
        community=community,
        space=space,
        incident=inc,
        mode=CooldownMode.SLOW_MODE,
        slow_mode_seconds=120,
        starts_at=t_cool,
        ends_at=t_cool + timedelta(hours=2),
        ended_at=t_mon,
        end_reason=CooldownEndReason.CALM,
        started_by_label=f"Runbook: {RUNBOOK_A}",
    )
    entries = [
        (
            start,
            TimelineKind.ALERT,
            "clause alert",
            "Alert on “Posts are not hostile”: 9 of 31 events were bad in the last 1 hour: at "
            "this pace the clause's room for the month would be gone in 38 hours (19 times the "
            "steady pace, 21 times over the last 5 minutes; the fast burn alert starts at 14.4 "
            "times).",
        ),
        (start, TimelineKind.DECLARED, "mod", "Declared SEV3 in Proposals (a clause alert)."),
        (t_fac, TimelineKind.ROLE, "mod", f"{mod.display_name} is the facilitator."),
        (t_fac, TimelineKind.ROLE, "mod", f"{parties[-1].display_name} is the support person."),
        (t_cool, TimelineKind.RUNBOOK, "mod", f"Started “{RUNBOOK_A}”."),
        (
            t_cool,
            TimelineKind.COOLDOWN,
            f"Runbook: {RUNBOOK_A}",
            "Cooldown started on Proposals: slow mode (one post per 120 s).",
        ),
        (t_cool, TimelineKind.STATUS, f"Runbook: {RUNBOOK_A}", "Status declared → mitigating."),
        (
            t_cool + timedelta(minutes=1),
            TimelineKind.STEP,
            f"Runbook: {RUNBOOK_A}",
            "Step 2 done: Post a calm notice in the thread.",
        ),
        (
            t_cool + timedelta(minutes=1),
            TimelineKind.FORUM,
            "forum",
            "Forum: post notice done (attempt 1).",
        ),
        (
            t_cool + timedelta(minutes=2),
            TimelineKind.STEP,
            f"Runbook: {RUNBOOK_A}",
            "Step 3 done: Sent privately to 3 parties.",
        ),
        (
            t_cool + timedelta(minutes=40),
            TimelineKind.NOTE,
            "mod",
            "Spoke with both sides; they agree the vote wording was unclear, not each other.",
        ),
        (
            t_mon,
            TimelineKind.COOLDOWN,
            f"Runbook: {RUNBOOK_A}",
            "Cooldown on Proposals lifted: the space is calm. calm: burn rate 0.00 and 0.00.",
        ),
        (t_mon, TimelineKind.STATUS, "mod", "Status mitigating → monitoring."),
        (
            t_res,
            TimelineKind.STATUS,
            "mod",
            f"Status monitoring → resolved. Summary: {RESOLVED_SUMMARY}",
        ),
    ]
    for at, kind, who, text in entries:
        TimelineEntry.objects.create(
            incident=inc,
            kind=kind,
            at=at,
            text=text,
            author=user if who == "mod" else None,
            author_label=who if who != "mod" else "mod",
        )
    return services.record_cost(incident=inc)


def _active_incident(
    community: Community, space: Space, mod: Membership, parties: list[Membership]
) -> Incident:
    """Live, through the services: declared, facilitated, cooling down (mitigating)."""
    user = mod.user
    assert user is not None
    actor = services.Actor.person(user)
    inc = services.declare_incident(
        community=community,
        title="Plot Swaps: disagreement over the swap rota",
        summary="Two long-time swappers disagree about the rota; replies are getting sharp.",
        severity=SevLevel.SEV3,
        spaces=[space],
        parties=parties,
        actor=actor,
    )
    services.offer_facilitator(incident=inc, to=mod, expected_version=None, actor=actor)
    services.start_cooldown(
        community=community,
        space=space,
        mode=CooldownMode.SLOW_MODE,
        slow_mode_seconds=300,
        ends_at=inc.declared_at + timedelta(hours=2),
        actor=actor,
        incident=inc,
    )
    services.add_note(
        incident=inc,
        text="Slow mode on while I read the thread; I'll check in with both of them tonight.",
        actor=actor,
    )
    return inc
