"""What incidents tell people through the spine's notification centre: a facilitator offer (to
the moderator asked) and, when an incident resolves, a calm word to each member whose report
became part of it. Called by the services in the same transaction.

Each notice is written in its recipient's language (``community.language``), not in the language
of whoever caused it."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from community.language import language_for_membership
from community.models import NotificationKind
from community.notifications import notify
from incidents.models import FacilitatorHandoff, Incident, IncidentReport, ReportSource


def notify_facilitator_offered(*, handoff: FacilitatorHandoff, incident: Incident) -> None:
    with translation.override(language_for_membership(handoff.to_membership)):
        notify(
            community=incident.community,
            recipients=[handoff.to_membership],
            kind=NotificationKind.FACILITATOR_OFFERED,
            title=_("You are asked to facilitate “%(title)s”") % {"title": incident.title},
            body=_(
                "Facilitating means coordinating, not judging: keep the room calm, make sure "
                "everyone is heard, and decide the next step. Accept or decline in the war room."
            ),
            link=reverse("incidents:detail", args=[incident.community.slug, incident.pk]),
            key=f"incidents.handoff:{handoff.pk}",
        )


def notify_reporters_resolved(*, incident: Incident) -> None:
    reports = IncidentReport.objects.filter(
        incident=incident, source=ReportSource.MEMBER, reporter__isnull=False
    ).select_related("reporter", "reporter__community", "space")
    for report in reports:
        if report.reporter is None:
            continue
        with translation.override(language_for_membership(report.reporter)):
            if report.space:
                title = _(
                    "Thank you: the conversation you reported in %(where)s has calmed down"
                ) % {"where": report.space.name}
            else:
                title = _(
                    "Thank you: the conversation you reported in the community has calmed down"
                )
            notify(
                community=incident.community,
                recipients=[report.reporter],
                kind=NotificationKind.REPORT_RESOLVED,
                title=title,
                body=_(
                    "The moderators looked into it and the incident is resolved. If it flares up "
                    "again, you can report it again at any time."
                ),
                link=reverse("incidents:status", args=[incident.community.slug]),
                key=f"incidents.report-resolved:{report.pk}",
            )
