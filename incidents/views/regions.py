"""The war room's regions: the page's context, and answers made of exactly the regions an
action changes (see ``incidents.views.war_room``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django_htmx.http import HttpResponseClientRefresh

from community.access import CommunityAccess
from community.http import AuthedHttpRequest, HtmxHttpRequest
from community.services import ServiceError
from incidents.forms import CooldownForm, DetailsForm, NoteForm, OfferForm, RoleForm
from incidents.hooks import room_links
from incidents.models import Incident
from incidents.war_room import war_room

POLL_SECONDS = 3
TEMPLATE = "incidents/detail.html"
HEADER, TIMELINE, ROLES, RUNBOOKS = "room-header", "room-timeline", "room-roles", "room-runbooks"
COOLDOWNS, REPORTS, METRICS = "room-cooldowns", "room-reports", "room-metrics"
REGIONS = (HEADER, TIMELINE, ROLES, RUNBOOKS, COOLDOWNS, REPORTS, METRICS)
# The version fields of the forms that live outside the regions (so typing is never lost to a
# refresh); every answer brings them up to date.
VERSION_IDS = ("v-offer", "v-role", "v-cooldown", "v-details")


def posted_version(request: HtmxHttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def prompted(request: HtmxHttpRequest, field: str) -> str:
    """Free text given through ``hx-prompt`` (htmx) or a form field (no JavaScript)."""
    return (request.htmx.prompt if request.htmx else None) or request.POST.get(field, "")


def context_for(
    request: HtmxHttpRequest,
    access: CommunityAccess,
    incident: Incident,
    error: str = "",
    done: str = "",
) -> dict[str, Any]:
    """The page's context: the war room's data (``incidents.war_room``) and its forms."""
    room = war_room(incident)
    incident = room.incident
    community = incident.community
    return {
        "access": access,
        "community": community,
        "incident": incident,
        "room": room,
        "roles": room.roles,
        "offer": room.offer,
        "runs": room.runs,
        "runbooks": room.runbooks,
        "cooldowns": room.cooldowns,
        "timeline": room.timeline,
        "reports": room.reports,
        "metric_rows": room.metric_rows,
        "room_links": room_links(access, incident),
        "version_ids": VERSION_IDS,
        "now": room.now,
        "error": error,
        "done": done,
        "poll_seconds": POLL_SECONDS,
        "offer_form": OfferForm(community=community, auto_id="offer_%s"),
        "role_form": RoleForm(community=community, people=room.people, auto_id="role_%s"),
        "cooldown_form": CooldownForm(
            community=community, initial={"space": incident.spaces.first()}, auto_id="cd_%s"
        ),
        "note_form": NoteForm(auto_id="note_%s"),
        "details_form": DetailsForm(
            community=community,
            auto_id="details_%s",
            initial={
                "title": incident.title,
                "severity": incident.severity,
                "summary": incident.summary,
                "spaces": list(incident.spaces.all()),
                "parties": ", ".join(p.display_name for p in incident.parties.all()),
            },
        ),
        "me": request.user,
    }


def render_regions(
    request: HtmxHttpRequest,
    context: dict[str, Any],
    *,
    target: str | None,
    also: Iterable[str],
    message: bool = True,
) -> HttpResponse:
    """``target`` rendered for its own swap, then ``also`` (and the message line and the
    version fields) out of band."""
    parts = [render_to_string(f"{TEMPLATE}#{target}", context, request)] if target else []
    oob = {**context, "oob": True}
    extra = [name for name in dict.fromkeys(also) if name != target]
    extra += ["room-message"] if message else []
    for name in [*extra, "room-versions"]:
        parts.append(render_to_string(f"{TEMPLATE}#{name}", oob, request))
    return HttpResponse("".join(parts))


def act(
    request: AuthedHttpRequest,
    access: CommunityAccess,
    incident: Incident,
    action: Callable[[], object],
    done: str,
    *,
    target: str,
    also: Iterable[str] = (HEADER, TIMELINE),
) -> HttpResponse:
    """Run one service call; answer with ``target`` and the regions in ``also`` (htmx) or a
    redirect. An incident that has just closed reloads the page: its forms are gone."""
    error = ""
    try:
        action()
    except ServiceError as exc:
        error = str(exc)
    if request.htmx:
        context = context_for(request, access, incident, error, "" if error else done)
        if not error and not context["incident"].is_open and incident.is_open:
            return HttpResponseClientRefresh()
        return render_regions(request, context, target=target, also=also)
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect(incident)
