"""The war room's data: everything the incident page shows about one incident, read at once.

A read model, kept out of the views so the page (and anything else that wants the same
picture) reads it one way. The caller has already checked access (``incidents.access``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import Membership
from incidents import services
from incidents.models import (
    Cooldown,
    FacilitatorHandoff,
    HandoffStatus,
    Incident,
    IncidentReport,
    IncidentRole,
    RoleKind,
    Runbook,
    RunbookRun,
    StepKind,
    StepRun,
    StepStatus,
    TimelineEntry,
)
from incidents.words import duration


@dataclass(frozen=True)
class WarRoom:
    incident: Incident
    roles: list[IncidentRole]
    offer: FacilitatorHandoff | None
    runs: list[RunbookRun]
    runbooks: list[Runbook]
    """Active runbooks of the community not yet started on this incident."""
    cooldowns: list[Cooldown]
    timeline: list[TimelineEntry]
    metrics: services.IncidentMetrics
    people: QuerySet[Membership]
    """Who can take a role: the parties and the community's moderators."""
    reports: list[IncidentReport]
    """Members' reports and clause alerts that are part of the incident, oldest first."""
    now: datetime

    @property
    def facilitator(self) -> IncidentRole | None:
        return next((r for r in self.roles if r.kind == RoleKind.FACILITATOR), None)

    @property
    def time_open(self) -> str:
        """How long it has been open, in words ("open for 2 h 5 min", "resolved after 3 h")."""
        if self.incident.resolved_at is not None:
            took = self.incident.resolved_at - self.incident.declared_at
            return _("resolved after %(time)s") % {"time": duration(took)}
        return _("open for %(time)s") % {"time": duration(self.now - self.incident.declared_at)}

    @property
    def next_step(self) -> StepRun | None:
        """The first unfinished step of the runbooks in progress."""
        for run in self.runs:
            if run.finished_at is None:
                for step in run.steps.all():
                    if not step.is_finished:
                        return step
        return None

    @property
    def next_step_words(self) -> str:
        """What the next runbook step waits for, in words."""
        step = self.next_step
        if step is None:
            return ""
        if step.status == StepStatus.WAITING and step.due_at is not None:
            return _("due at %(time)s UTC") % {"time": f"{step.due_at:%H:%M}"}
        return {
            StepStatus.RUNNING: _("running now"),
            StepStatus.PROPOSED: _("waiting for the facilitator to decide"),
            StepStatus.FAILED: _("did not work: retry or skip it"),
            StepStatus.WAITING: _("waiting for its time"),
        }.get(
            StepStatus(step.status),
            _("waiting for a person to mark it done")
            if step.kind == StepKind.CHECKLIST
            else _("about to run"),
        )

    @property
    def metric_rows(self) -> list[tuple[str, str]]:
        """The incident's response times, in words."""
        m = self.metrics
        return [
            (_("Time to facilitator"), duration(m.to_facilitator)),
            (_("Time to cooldown"), duration(m.to_cooldown)),
            (_("Time to resolution"), duration(m.to_resolution)),
        ]


def war_room(incident: Incident) -> WarRoom:
    """The war room of ``incident``, read fresh (it may have changed since it was fetched)."""
    incident = (
        Incident.objects.select_related("community")
        .prefetch_related("spaces", "parties")
        .get(pk=incident.pk)
    )
    community = incident.community
    runs = list(
        RunbookRun.objects.filter(incident=incident)
        .select_related("runbook")
        .prefetch_related(Prefetch("steps", queryset=StepRun.objects.order_by("position")))
    )
    used = {run.runbook_id for run in runs}
    people = Membership.objects.filter(community=community).filter(
        pk__in=[p.pk for p in incident.parties.all()]
    ) | Membership.objects.moderators().filter(community=community)
    return WarRoom(
        incident=incident,
        roles=list(incident.roles.active().select_related("membership")),
        offer=incident.handoffs.filter(status=HandoffStatus.OFFERED)
        .select_related("to_membership")
        .first(),
        runs=runs,
        runbooks=[
            rb for rb in Runbook.objects.active().filter(community=community) if rb.pk not in used
        ],
        cooldowns=list(incident.cooldowns.select_related("space").order_by("-starts_at")),
        timeline=list(incident.timeline.select_related("author")),
        metrics=services.incident_metrics(incident),
        people=people.distinct(),
        reports=list(
            IncidentReport.objects.linked()
            .filter(incident=incident)
            .select_related("space")
            .order_by("created_at", "pk")
        ),
        now=timezone.now(),
    )
