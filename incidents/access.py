"""Access helpers for incidents: the only way a page or an API view fetches an incident, one of
its roles, handoffs, runbook steps or cooldowns, a runbook or a report.

Incidents are moderation records: the war room and the board are for the community's
moderators, and ``read`` API keys see them too (see ``community.access``). Anyone else gets 404
for an incident (it is not theirs to see; members see the calm status page instead) and 403 for
the board's cooldowns, runbooks and reports. Changing anything needs a moderator (or a
``moderate`` key). Answering a facilitator offer is checked in the service (only the person
offered can answer).

An incident's parts (a role, a handoff, a step) are fetched with the incident, itself fetched
through :func:`get_incident`; a cooldown named next to an incident in a URL must be that
incident's.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from community.access import CommunityAccess
from incidents.models import (
    Cooldown,
    FacilitatorHandoff,
    Incident,
    IncidentReport,
    IncidentRole,
    Runbook,
    RunbookStep,
    StepRun,
)
from incidents.models.cooldowns import CooldownQuerySet
from incidents.models.incidents import IncidentQuerySet

WRITE_MESSAGE = "Only this community's moderators can change incidents."


def _require_records(access: CommunityAccess) -> None:
    """403 for whoever sees the community but not its moderation records."""
    if not access.sees_member_records:
        raise PermissionDenied("Only this community's moderators can do that.")


def visible_incidents(access: CommunityAccess) -> IncidentQuerySet:
    """The community's incidents (newest first), for those who see moderation records; 404 for
    everyone else."""
    if not access.sees_member_records:
        raise Http404("No such incident.")
    return Incident.objects.for_community(access.community)


def get_incident(access: CommunityAccess, pk: int, *, write: bool = False) -> Incident:
    """An incident of the community (404 for whoever does not see moderation records);
    ``write`` needs a moderator (403)."""
    incident = visible_incidents(access).filter(pk=pk).first()
    if incident is None:
        raise Http404("No such incident.")
    if write:
        access.require_moderator(WRITE_MESSAGE)
    return incident


def _check_parent(access: CommunityAccess, incident: Incident) -> None:
    if incident.community_id != access.community.pk:
        raise Http404("No such incident.")


def get_step(access: CommunityAccess, incident: Incident, step_id: int) -> StepRun:
    """A runbook step run on ``incident``; acting on it needs a moderator (403)."""
    _check_parent(access, incident)
    access.require_moderator(WRITE_MESSAGE)
    step = StepRun.objects.select_related("run").filter(run__incident=incident, pk=step_id).first()
    if step is None:
        raise Http404("No such step.")
    return step


def get_role(access: CommunityAccess, incident: Incident, role_id: int) -> IncidentRole:
    """A role held on ``incident``; ticking its checklist needs a moderator (403)."""
    _check_parent(access, incident)
    access.require_moderator(WRITE_MESSAGE)
    role = IncidentRole.objects.filter(incident=incident, pk=role_id).first()
    if role is None:
        raise Http404("No such role.")
    return role


def get_handoff(access: CommunityAccess, incident: Incident, handoff_id: int) -> FacilitatorHandoff:
    """A facilitator offer on ``incident`` (who may answer it is the service's rule)."""
    _check_parent(access, incident)
    handoff = (
        FacilitatorHandoff.objects.filter(incident=incident, pk=handoff_id)
        .select_related("to_membership")
        .first()
    )
    if handoff is None:
        raise Http404("No such offer.")
    return handoff


def visible_cooldowns(access: CommunityAccess) -> CooldownQuerySet:
    """Every cooldown of the community, newest first (moderation records; 403 for others)."""
    _require_records(access)
    return Cooldown.objects.filter(community=access.community).select_related("space")


def get_cooldown(
    access: CommunityAccess,
    pk: int,
    *,
    incident: Incident | None = None,
    write: bool = False,
) -> Cooldown:
    """A cooldown of the community: moderation records (403 for others who see the community);
    ``write`` needs a moderator (403). With ``incident`` (both are in the URL) it must be that
    incident's cooldown (404 otherwise)."""
    _require_records(access)
    cooldown = (
        Cooldown.objects.filter(community=access.community, pk=pk).select_related("space").first()
    )
    if cooldown is None or (incident is not None and cooldown.incident_id != incident.pk):
        raise Http404("No such cooldown.")
    if write:
        access.require_moderator("Only this community's moderators can change a cooldown.")
    return cooldown


def get_report(access: CommunityAccess, pk: int, *, write: bool = False) -> IncidentReport:
    """A member's report: moderation records (403 for others); acting on it needs a
    moderator."""
    _require_records(access)
    report = IncidentReport.objects.filter(community=access.community, pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    if write:
        access.require_moderator()
    return report


def get_runbook(access: CommunityAccess, pk: int, *, write: bool = False) -> Runbook:
    """A runbook of the community: for moderators (403 for others who see the community; a
    runbook of another community is 404)."""
    _require_records(access)
    runbook = Runbook.objects.filter(community=access.community, pk=pk).first()
    if runbook is None:
        raise Http404("No such runbook.")
    if write:
        access.require_moderator("Only this community's moderators can change runbooks.")
    return runbook


def get_runbook_step(access: CommunityAccess, runbook: Runbook, step_id: int) -> RunbookStep:
    """One step of ``runbook`` (fetched through :func:`get_runbook`), to change it."""
    if runbook.community_id != access.community.pk:
        raise Http404("No such runbook.")
    access.require_moderator("Only this community's moderators can change runbooks.")
    step = RunbookStep.objects.filter(runbook=runbook, pk=step_id).first()
    if step is None:
        raise Http404("No such step.")
    return step
