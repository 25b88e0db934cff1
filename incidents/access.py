"""Access helpers for incidents: the only way a view fetches an incident, cooldown or report.

The war room and the board are for the community's moderators (others get 404 for an incident:
it is not theirs to see; members see the calm status page instead). Answering a facilitator
offer is checked in the service (only the person offered can answer).
"""

from __future__ import annotations

from django.http import Http404

from community.access import AnyUser, CommunityAccess, get_community_for_user
from incidents.models import (
    Cooldown,
    FacilitatorHandoff,
    Incident,
    IncidentReport,
    Runbook,
    StepRun,
)


def get_incident_for_user(
    user: AnyUser, slug: str, pk: int, *, write: bool = False
) -> tuple[CommunityAccess, Incident]:
    access = get_community_for_user(user, slug)
    if not access.is_moderator:
        raise Http404("No such incident.")
    incident = Incident.objects.filter(community=access.community, pk=pk).first()
    if incident is None:
        raise Http404("No such incident.")
    return access, incident


def get_step_for_user(
    user: AnyUser, slug: str, pk: int, step_id: int
) -> tuple[CommunityAccess, Incident, StepRun]:
    access, incident = get_incident_for_user(user, slug, pk, write=True)
    step = StepRun.objects.select_related("run").filter(run__incident=incident, pk=step_id).first()
    if step is None:
        raise Http404("No such step.")
    return access, incident, step


def get_cooldown_for_user(user: AnyUser, slug: str, pk: int) -> tuple[CommunityAccess, Cooldown]:
    access = get_community_for_user(user, slug, moderate=True)
    cooldown = Cooldown.objects.filter(community=access.community, pk=pk).first()
    if cooldown is None:
        raise Http404("No such cooldown.")
    return access, cooldown


def get_handoff_for_user(
    user: AnyUser, slug: str, pk: int, handoff_id: int
) -> tuple[CommunityAccess, Incident, FacilitatorHandoff]:
    access, incident = get_incident_for_user(user, slug, pk)
    handoff = incident.handoffs.filter(pk=handoff_id).select_related("to_membership").first()
    if handoff is None:
        raise Http404("No such offer.")
    return access, incident, handoff


def get_report_for_user(
    user: AnyUser, slug: str, pk: int
) -> tuple[CommunityAccess, IncidentReport]:
    access = get_community_for_user(user, slug, moderate=True)
    report = IncidentReport.objects.filter(community=access.community, pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    return access, report


def get_runbook_for_user(user: AnyUser, slug: str, pk: int) -> tuple[CommunityAccess, Runbook]:
    access = get_community_for_user(user, slug, moderate=True)
    runbook = Runbook.objects.filter(community=access.community, pk=pk).first()
    if runbook is None:
        raise Http404("No such runbook.")
    return access, runbook
