"""What incidents tell people through the spine's notification centre: a facilitator offer (to
the moderator asked) and, when an incident resolves, a calm word to each member whose report
became part of it. Called by the services in the same transaction."""

from __future__ import annotations

from django.urls import reverse

from community.models import NotificationKind
from community.notifications import notify
from incidents.models import FacilitatorHandoff, Incident, IncidentReport, ReportSource


def notify_facilitator_offered(*, handoff: FacilitatorHandoff, incident: Incident) -> None:
    notify(
        community=incident.community,
        recipients=[handoff.to_membership],
        kind=NotificationKind.FACILITATOR_OFFERED,
        title=f"You are asked to facilitate “{incident.title}”",
        body=(
            "Facilitating means coordinating, not judging: keep the room calm, make sure "
            "everyone is heard, and decide the next step. Accept or decline in the war room."
        ),
        link=reverse("incidents:detail", args=[incident.community.slug, incident.pk]),
        key=f"incidents.handoff:{handoff.pk}",
    )


def notify_reporters_resolved(*, incident: Incident) -> None:
    reports = IncidentReport.objects.filter(
        incident=incident, source=ReportSource.MEMBER, reporter__isnull=False
    ).select_related("reporter", "space")
    for report in reports:
        where = report.space.name if report.space else "the community"
        notify(
            community=incident.community,
            recipients=[report.reporter] if report.reporter else [],
            kind=NotificationKind.REPORT_RESOLVED,
            title=f"Thank you: the conversation you reported in {where} has calmed down",
            body=(
                "The moderators looked into it and the incident is resolved. If it flares up "
                "again, you can report it again at any time."
            ),
            link=reverse("incidents:status", args=[incident.community.slug]),
            key=f"incidents.report-resolved:{report.pk}",
        )
