"""The incidents board (declare, open incidents, members' reports, active cooldowns) and the
response-time metrics page: for moderators."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.access import access_for_user
from community.http import AuthedHttpRequest
from community.services import ServiceError
from incidents import services
from incidents.access import get_incident, get_report, visible_incidents
from incidents.forms import DeclareForm
from incidents.models import Cooldown, IncidentReport
from incidents.models.incidents import LINKED_REPORT_STATUSES
from incidents.words import duration


@login_required
def board(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    community = access.community
    form = DeclareForm(request.POST or None, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.declare_incident(
                community=community,
                title=form.cleaned_data["title"],
                severity=form.cleaned_data["severity"],
                spaces=list(form.cleaned_data["spaces"]),
                summary=form.cleaned_data["summary"],
                actor=services.Actor.person(request.user),
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Incident declared. Next: a facilitator."))
            return redirect(incident)
    incidents = (
        visible_incidents(access)
        .select_related("community")
        .prefetch_related("spaces")
        .annotate(joined=Count("reports", filter=Q(reports__status__in=LINKED_REPORT_STATUSES)))
    )
    return render(
        request,
        "incidents/board.html",
        {
            "access": access,
            "community": community,
            "form": form,
            "open": [i for i in incidents if i.is_open],
            "recent": [i for i in incidents if not i.is_open][:20],
            "reports": IncidentReport.objects.open()
            .filter(community=community)
            .select_related("space", "reporter"),
            "cooldowns": Cooldown.objects.active()
            .filter(community=community)
            .select_related("space", "incident__community"),
        },
    )


@login_required
@require_POST
def report_declare(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    report = get_report(access_for_user(request.user, slug), pk, write=True)
    try:
        incident = services.declare_from_report(
            report=report, actor=services.Actor.person(request.user)
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("incidents:board", slug=slug)
    return redirect(incident)


@login_required
@require_POST
def report_dismiss(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    report = get_report(access_for_user(request.user, slug), pk, write=True)
    try:
        services.dismiss_report(report=report, actor=services.Actor.person(request.user))
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, _("Report dismissed."))
    return redirect("incidents:board", slug=slug)


@login_required
@require_POST
def report_attach(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A moderator adds a waiting report or alert to an open incident it belongs with."""
    access = access_for_user(request.user, slug)
    report = get_report(access, pk, write=True)
    raw = request.POST.get("incident", "")
    if not raw.isdigit():
        messages.error(request, _("Choose the incident it belongs to."))
        return redirect("incidents:board", slug=slug)
    try:
        incident = get_incident(access, int(raw), write=True)
    except Http404:
        messages.error(request, _("That incident is not one of this community's."))
        return redirect("incidents:board", slug=slug)
    try:
        services.attach_report(
            report=report,
            incident=incident,
            expected_version=None,
            actor=services.Actor.person(request.user),
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("incidents:board", slug=slug)
    messages.success(
        request,
        _("Added to incident #%(number)s: it is on its timeline now.") % {"number": incident.pk},
    )
    return redirect("incidents:board", slug=slug)


@login_required
def metrics(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    incidents = list(visible_incidents(access))
    h = duration
    rows = []
    for inc in incidents:
        m = services.incident_metrics(inc)
        rows.append(
            {
                "incident": inc,
                "facilitator": h(m.to_facilitator),
                "cooldown": h(m.to_cooldown),
                "resolution": h(m.to_resolution),
            }
        )
    months = [
        {
            "period": p.period,
            "incidents": p.incidents,
            "facilitator": h(p.to_facilitator),
            "cooldown": h(p.to_cooldown),
            "resolution": h(p.to_resolution),
        }
        for p in services.metrics_by_month(incidents)
    ]
    return render(
        request,
        "incidents/metrics.html",
        {
            "access": access,
            "community": access.community,
            "rows": rows,
            "months": months,
        },
    )
