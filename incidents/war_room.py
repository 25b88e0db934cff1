"""The war room's data: everything the incident page shows about one incident, read at once.

A read model, kept out of the views so the page (and anything else that wants the same
picture) reads it one way. The caller has already checked access (``incidents.access``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from community.models import Membership
from incidents import rules, services
from incidents.models import (
    Cooldown,
    FacilitatorHandoff,
    HandoffStatus,
    Incident,
    IncidentRole,
    Runbook,
    RunbookRun,
    StepRun,
    TimelineEntry,
)


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

    @property
    def metric_rows(self) -> list[tuple[str, str]]:
        """The incident's response times, in words."""
        m = self.metrics
        return [
            ("Time to facilitator", rules.humanize_duration(m.to_facilitator)),
            ("Time to cooldown", rules.humanize_duration(m.to_cooldown)),
            ("Time to resolution", rules.humanize_duration(m.to_resolution)),
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
    )
