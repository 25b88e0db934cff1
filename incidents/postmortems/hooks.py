"""How the package takes part in an incident's life (registered in ``apps.ready`` through
``incidents.hooks``): the close guard and the war room's link."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from community.access import CommunityAccess
from incidents.hooks import RoomLink
from incidents.models import Incident, IncidentStatus
from incidents.postmortems.models import Postmortem, PostmortemState


def requires_published_postmortem(incident: Incident) -> str | None:
    """An incident that requires a restorative postmortem closes only once it is published."""
    if not incident.postmortem_required:
        return None
    doc = Postmortem.objects.filter(incident=incident).only("state").first()
    if doc is not None and doc.state == PostmortemState.PUBLISHED:
        return None
    first = (
        _("Start its postmortem from the incident page, then publish it.")
        if doc is None
        else _("Finish its postmortem and publish it first.")
    )
    return _(
        "This incident used more than 20 %% of a clause's room for the month, so it closes "
        "once its restorative postmortem is published. %(first)s"
    ) % {"first": first}


def postmortem_link(access: CommunityAccess, incident: Incident) -> RoomLink | None:
    if not access.sees_member_records:
        return None
    doc = Postmortem.objects.filter(incident=incident).only("pk", "state").first()
    slug = access.community.slug
    if doc is not None:
        return RoomLink(
            label=_("Open the postmortem"),
            url=reverse("postmortems:editor", args=[slug, doc.pk]),
            detail=f"({doc.get_state_display().lower()})",
        )
    if incident.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
        return RoomLink(
            label=_("Start the postmortem"),
            url=reverse("postmortems:start", args=[slug, incident.pk]),
            detail=f"({_('required')})" if incident.postmortem_required else "",
        )
    return None
