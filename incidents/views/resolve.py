"""Resolving an incident: a confirm step that says what will happen and asks for the short
summary that goes on the timeline and the public status page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from community.access import access_for_user
from community.http import AuthedHttpRequest
from community.services import ServiceError
from incidents import services
from incidents.access import get_incident
from incidents.forms import ResolveForm
from incidents.models import IncidentStatus


@login_required
@require_http_methods(["GET", "POST"])
def resolve(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    form = ResolveForm(request.POST or None, initial={"version": incident.version})
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.transition_incident(
                incident=incident,
                to=IncidentStatus.RESOLVED,
                expected_version=form.cleaned_data["version"],
                actor=services.Actor.person(request.user),
                summary=form.cleaned_data["summary"],
            )
        except ServiceError as exc:
            error = str(exc)
        else:
            messages.success(
                request, _("Resolved. The summary is on the timeline and the status page.")
            )
            return redirect(incident)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "incidents/resolve.html",
        {
            "access": access,
            "community": access.community,
            "incident": incident,
            "form": form,
            "error": error,
            "can_resolve": IncidentStatus.RESOLVED in incident.next_statuses(),
        },
        status=status,
    )
