"""The community's status page: calm, public wording that never names anyone; members report a
heated space from here."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from community.access import access_for_user
from community.http import HtmxHttpRequest
from community.models import Community
from community.services import ServiceError
from incidents import services
from incidents.forms import ReportForm
from incidents.models import Cooldown, Incident, IncidentReport

# How long a member sees "the moderators looked after what you reported".
REPORT_NOTICE_DAYS = 14


def status_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    community: Community = access.community
    form = None
    heard_back: list[IncidentReport] = []
    if access.membership is not None:
        since = timezone.now() - timedelta(days=REPORT_NOTICE_DAYS)
        heard_back = list(
            IncidentReport.objects.resolved_notices_for(access.membership)
            .filter(resolved_notice_at__gte=since)
            .select_related("space")[:5]
        )
        form = ReportForm(request.POST or None, community=community)
        if request.method == "POST" and form.is_valid():
            try:
                services.report_heated_space(
                    community=community,
                    space=form.cleaned_data["space"],
                    reporter=access.membership,
                    message=form.cleaned_data["message"],
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Thank you. The moderators have your report.")
                return redirect("incidents:status", slug=slug)
    elif request.method == "POST":
        if request.user.is_authenticated:
            raise PermissionDenied("Only members of this community can report here.")
        return redirect(f"{reverse('login')}?next={request.path}")
    return render(
        request,
        "incidents/status.html",
        {
            "access": access,
            "community": community,
            "incidents": Incident.objects.for_community(community)
            .open()
            .prefetch_related("spaces"),
            "cooldowns": Cooldown.objects.active()
            .filter(community=community)
            .select_related("space"),
            "resolved_30d": Incident.objects.for_community(community)
            .filter(resolved_at__gte=timezone.now() - timedelta(days=30))
            .count(),
            "recently_resolved": Incident.objects.for_community(community)
            .filter(resolved_at__gte=timezone.now() - timedelta(days=30))
            .exclude(resolution_summary="")
            .prefetch_related("spaces")
            .order_by("-resolved_at")[:5],
            "form": form,
            "heard_back": heard_back,
            "now": timezone.now(),
        },
    )
