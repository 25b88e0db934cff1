"""Reports and alerts joining incidents: a sign about a space that already has an open incident
becomes part of it (a timeline entry) instead of a second card on the board; moderators attach
and detach by hand; when the incident resolves, each member who reported hears back.

The reporter's notice is ``IncidentReport.resolved_notice_at``, set in one place
(``_notify_reporters``) and read through ``IncidentReport.objects.resolved_notices_for``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.models import Space
from community.services import ServiceError
from incidents.models import (
    Incident,
    IncidentReport,
    ReportSource,
    ReportStatus,
    TimelineKind,
)
from incidents.services.common import Actor, _entry, _locked, _save


def _kind_of(report: IncidentReport) -> str:
    return TimelineKind.ALERT if report.source == ReportSource.CLAUSE_ALERT else TimelineKind.REPORT


def _describe(report: IncidentReport) -> str:
    """The report, named in the active language (the entries that name it are written in the
    community's)."""
    if report.space is None:
        if report.source == ReportSource.CLAUSE_ALERT:
            return _("A clause alert about the community")
        return _("A member's report about the community")
    if report.source == ReportSource.CLAUSE_ALERT:
        return _("A clause alert about %(space)s") % {"space": report.space.name}
    return _("A member's report about %(space)s") % {"space": report.space.name}


def _join(inc: Incident, report: IncidentReport, actor: Actor, *, how: Callable[[], str]) -> None:
    """Attach ``report`` (locked, open) to ``inc`` (locked, open) with its timeline entry."""
    report.status = ReportStatus.ATTACHED
    report.incident = inc
    report.handled_by = actor.user
    report.handled_at = timezone.now()
    report.save(update_fields=["status", "incident", "handled_by", "handled_at"])

    def text() -> str:
        words = _("%(report)s joined this incident (%(how)s).") % {
            "report": _describe(report),
            "how": how(),
        }
        if report.message and report.source == ReportSource.MEMBER:
            words += f" “{report.message}”"
        return words

    _entry(inc, _kind_of(report), text, actor, data={"report_id": report.pk, "joined": True})


def open_incident_for(space: Space | None) -> Incident | None:
    """The oldest open incident on ``space`` (the one a new sign about it joins)."""
    if space is None:
        return None
    return Incident.objects.open().filter(spaces=space).order_by("declared_at", "pk").first()


def _attach_open_reports(inc: Incident, spaces: Iterable[Space], actor: Actor) -> int:
    """Inside a transaction holding ``inc``'s lock: every open report or alert on one of
    ``spaces`` joins ``inc`` (called when an incident is declared or gains a space)."""
    ids = [s.pk for s in spaces]
    if not ids:
        return 0
    joined = 0
    for report in (
        IncidentReport.objects.select_for_update(of=("self",))
        .select_related("space")
        .filter(community=inc.community, status=ReportStatus.OPEN, space_id__in=ids)
        .order_by("created_at", "pk")
    ):
        _join(inc, report, actor, how=lambda: _("its space is covered by this incident"))
        joined += 1
    return joined


def attach_report(
    *, report: IncidentReport, incident: Incident, expected_version: int | None, actor: Actor
) -> IncidentReport:
    """A moderator attaches a waiting report or alert to an open incident of its community."""
    with transaction.atomic():
        inc = _locked(incident.pk, expected_version)
        rep = (
            IncidentReport.objects.select_for_update(of=("self",))
            .select_related("space")
            .get(pk=report.pk)
        )
        if rep.community_id != inc.community_id:
            raise ServiceError(_("That report belongs to another community."))
        if not inc.is_open:
            raise ServiceError(_("That incident is no longer open; declare a new one instead."))
        if rep.status != ReportStatus.OPEN:
            raise ServiceError(
                _("This report has already been handled; reload to see where it is.")
            )
        _join(inc, rep, actor, how=lambda: _("attached by %(name)s") % {"name": actor.name})
        _save(inc)
    return rep


def detach_report(
    *, report: IncidentReport, expected_version: int | None, actor: Actor
) -> IncidentReport:
    """A moderator takes a joined report or alert out of its incident: it waits on the board
    again, and the timeline says so."""
    if report.incident_id is None:
        raise ServiceError(_("This report is not part of an incident."))
    with transaction.atomic():
        inc = _locked(report.incident_id, expected_version)
        rep = (
            IncidentReport.objects.select_for_update(of=("self",))
            .select_related("space")
            .get(pk=report.pk)
        )
        if rep.status != ReportStatus.ATTACHED or rep.incident_id != inc.pk:
            raise ServiceError(
                _(
                    "Only a report that joined this incident can be detached (the one it was "
                    "declared from stays with it)."
                )
            )
        rep.status = ReportStatus.OPEN
        rep.incident = None
        rep.handled_by = None
        rep.handled_at = None
        rep.save(update_fields=["status", "incident", "handled_by", "handled_at"])
        _entry(
            inc,
            _kind_of(rep),
            lambda: (
                _("%(report)s was detached by %(name)s; it waits on the board again.")
                % {"report": _describe(rep), "name": actor.name}
            ),
            actor,
            data={"report_id": rep.pk, "joined": False},
        )
        _save(inc)
    return rep


def _notify_reporters(inc: Incident, actor: Actor) -> int:
    """Inside the resolving transaction: each member whose report is part of ``inc`` gets the
    calm in-app notice that it resolved (once)."""
    reports = IncidentReport.objects.linked().filter(
        incident=inc,
        source=ReportSource.MEMBER,
        reporter__isnull=False,
        resolved_notice_at__isnull=True,
    )
    told = reports.update(resolved_notice_at=timezone.now())
    if told:
        _entry(
            inc,
            TimelineKind.REPORT,
            lambda: (
                ngettext(
                    "%(count)s member who reported it was told it is resolved.",
                    "%(count)s members who reported it were told it is resolved.",
                    told,
                )
                % {"count": told}
            ),
            actor,
        )
    return told
