"""Member reports, clause-alert detection and the forum's reports back (domain-event
subscribers)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from community import words
from community.contract.slo import DEFAULT_WINDOW_DAYS
from community.language import in_community_language
from community.models import (
    Clause,
    Community,
    DomainEvent,
    DomainEventType,
    Membership,
    Space,
)
from community.services import ServiceError
from incidents import rules
from incidents.models import (
    AlertResponse,
    Cooldown,
    DetectedBy,
    Incident,
    IncidentReport,
    ReportSource,
    ReportStatus,
    SevLevel,
    TimelineEntry,
    TimelineKind,
)
from incidents.models.incidents import LINKED_REPORT_STATUSES
from incidents.services.common import (
    Actor,
    _check_spaces,
    _entry,
    _locked,
    _save,
    settings_for,
)
from incidents.services.lifecycle import declare_incident
from incidents.services.reports import _join, open_incident_for
from incidents.services.runbooks import start_runbook

# --- Reports and detection ------------------------------------------------------------------


def _minutes(hours: object) -> int:
    try:
        return int((Decimal(str(hours)) * 60).to_integral_value())
    except (InvalidOperation, ValueError):
        return 0


def _count(value: object) -> int:
    return int(value) if isinstance(value, int) else 0


def _alert_text(community: Community, title: str, payload: dict[str, Any]) -> str:
    """The alert in words: how long the clause's room would last at this pace, with rounded
    numbers (the exact ones stay in the event's payload). Written once, in the community's
    language, for the incident's timeline, the board and the incident's summary."""
    clause_id = payload.get("clause_id")
    window_days = (
        Clause.objects.filter(community=community, pk=clause_id)
        .values_list("window_days", flat=True)
        .first()
        if isinstance(clause_id, int)
        else None
    )

    def text() -> str:
        summary = words.alert_summary(
            rule=str(payload.get("rule") or "alert"),
            burn_long=payload.get("burn_rate_long"),
            burn_short=payload.get("burn_rate_short"),
            threshold=payload.get("threshold"),
            long_minutes=_minutes(payload.get("long_window_hours")),
            short_minutes=_minutes(payload.get("short_window_hours")),
            bad=_count(payload.get("bad_long")),
            total=_count(payload.get("total_long")),
            window_days=window_days or DEFAULT_WINDOW_DAYS,
        )
        return _("Alert on “%(title)s”: %(summary)s") % {"title": title, "summary": summary}

    return in_community_language(community, text)


def report_heated_space(
    *, community: Community, space: Space, reporter: Membership, message: str
) -> IncidentReport:
    """A member tells the moderators a space is heated. If an open incident already covers the
    space, the report joins it (on its timeline) instead of waiting on the board."""
    _check_spaces(community, [space])
    if reporter.community_id != community.pk:
        raise ServiceError(_("Only members of this community can report here."))
    message = message.strip()
    if len(message) > 2000:
        raise ServiceError(_("Keep the report under 2000 characters."))
    pending = IncidentReport.objects.filter(reporter=reporter, space=space).filter(
        Q(status=ReportStatus.OPEN)
        | Q(status__in=LINKED_REPORT_STATUSES, incident__status__in=rules.OPEN_STATUSES)
    )
    if pending.exists():
        raise ServiceError(
            _("You already reported %(name)s; the moderators have it. Thank you.")
            % {"name": space.name}
        )
    with transaction.atomic():
        report = IncidentReport.objects.create(
            community=community,
            source=ReportSource.MEMBER,
            space=space,
            reporter=reporter,
            message=message,
        )
        covering = open_incident_for(space)
        if covering is not None:
            inc = _locked(covering.pk, None)
            _join(
                inc,
                report,
                Actor.system("member report"),
                how=lambda: _("its space is in this incident"),
            )
            _save(inc)
    return report


def declare_from_report(
    *, report: IncidentReport, actor: Actor, title: str = "", severity: str = ""
) -> Incident:
    with transaction.atomic():
        rep = IncidentReport.objects.select_for_update().get(pk=report.pk)
        if rep.status != ReportStatus.OPEN:
            raise ServiceError(_("This report has already been handled."))
        # Marked first, so the new incident does not also "attach" the report it comes from.
        rep.status = ReportStatus.DECLARED
        rep.save(update_fields=["status"])
        spaces = [rep.space] if rep.space else []
        incident = declare_incident(
            community=rep.community,
            title=title
            or f"Heated conversation in {rep.space.name if rep.space else 'the community'}",
            severity=severity or (SevLevel.SEV3 if spaces else SevLevel.SEV2),
            spaces=spaces,
            summary=rep.message,
            actor=actor,
            detected_by=(
                DetectedBy.CLAUSE_ALERT
                if rep.source == ReportSource.CLAUSE_ALERT
                else DetectedBy.MEMBER_REPORT
            ),
            trigger_event_ids=rep.event_ids,
        )
        rep.incident = incident
        rep.handled_by = actor.user
        rep.handled_at = timezone.now()
        rep.save(update_fields=["status", "incident", "handled_by", "handled_at"])
        _entry(
            incident,
            TimelineKind.REPORT,
            lambda: _("Declared from a %(source)s.") % {"source": rep.get_source_display().lower()},
            actor,
        )
    return incident


def dismiss_report(*, report: IncidentReport, actor: Actor) -> IncidentReport:
    with transaction.atomic():
        rep = IncidentReport.objects.select_for_update().get(pk=report.pk)
        if rep.status != ReportStatus.OPEN:
            raise ServiceError(_("This report has already been handled."))
        rep.status = ReportStatus.DISMISSED
        rep.handled_by = actor.user
        rep.handled_at = timezone.now()
        rep.save(update_fields=["status", "handled_by", "handled_at"])
    return rep


def handle_clause_alert(event: DomainEvent) -> None:
    """Subscriber for ``clause.alert_fired``: declare a SEV3 incident on the alert's space (or
    suggest one, if the community prefers), unless an open incident already covers it."""
    if event.type != DomainEventType.CLAUSE_ALERT_FIRED:
        return
    community = event.community
    payload = event.payload or {}
    key = f"alert:{event.pk}"
    if TimelineEntry.objects.filter(dedupe_key=key).exists():
        return
    if IncidentReport.objects.filter(alert_key=str(event.pk)).exists():
        return
    space_data = payload.get("space") or {}
    space_id = space_data.get("id") if isinstance(space_data, dict) else None
    space = (
        Space.objects.filter(community=community, pk=space_id).first()
        if isinstance(space_id, int)
        else None
    )
    event_ids = [int(i) for i in payload.get("event_ids") or [] if str(i).isdigit()]
    title = str(payload.get("clause_title") or "a clause")
    text = report_text = _alert_text(community, title, payload)
    actor = Actor.system("clause alert")
    with transaction.atomic():
        existing = open_incident_for(space) if space is not None else None
        settings_ = settings_for(community) if existing is None else None
        outcome = rules.alert_outcome(
            on_space=space is not None,
            covered=existing is not None,
            suggest_all=settings_ is not None and settings_.alert_response == AlertResponse.SUGGEST,
        )
        if outcome == rules.JOIN and existing is not None:
            inc = _locked(existing.pk, None)
            inc.trigger_event_ids = sorted(set(inc.trigger_event_ids) | set(event_ids))
            _save(inc, "trigger_event_ids")
            _entry(inc, TimelineKind.ALERT, text, actor, dedupe_key=key, data=payload)
            # Recorded as a joined alert, so a moderator can detach it to the board.
            IncidentReport.objects.create(
                community=community,
                source=ReportSource.CLAUSE_ALERT,
                space=space,
                message=report_text,
                alert_key=str(event.pk),
                event_ids=event_ids,
                status=ReportStatus.ATTACHED,
                incident=inc,
                handled_at=timezone.now(),
            )
            return
        if outcome == rules.SUGGEST or space is None or settings_ is None:
            IncidentReport.objects.create(
                community=community,
                source=ReportSource.CLAUSE_ALERT,
                space=space,
                message=report_text,
                alert_key=str(event.pk),
                event_ids=event_ids,
            )
            return
        incident = declare_incident(
            community=community,
            title=f"{space.name}: “{title}” is burning fast",
            severity=SevLevel.SEV3,
            spaces=[space],
            summary=report_text,
            actor=actor,
            detected_by=DetectedBy.CLAUSE_ALERT,
            trigger_event_ids=event_ids,
        )
        _entry(incident, TimelineKind.ALERT, text, actor, dedupe_key=key, data=payload)
        runbook = settings_.auto_runbook
        if runbook is not None and runbook.is_active:
            start_runbook(
                incident=incident,
                runbook=runbook,
                expected_version=None,
                actor=Actor.system("auto-start (community setting)"),
            )


def record_forum_attempt(event: DomainEvent) -> None:
    """Subscriber for ``forum.action_attempted``: one timeline entry per attempt."""
    if event.type != DomainEventType.FORUM_ACTION_ATTEMPTED:
        return
    payload = event.payload or {}
    incident = None
    if payload.get("incident_id"):
        incident = Incident.objects.filter(
            community=event.community, pk=payload["incident_id"]
        ).first()
    if incident is None and payload.get("cooldown_id"):
        cd = Cooldown.objects.filter(community=event.community, pk=payload["cooldown_id"]).first()
        incident = cd.incident if cd else None
    if incident is None:
        return
    action = str(payload.get("action", "action")).replace("_", " ")
    attempt = payload.get("attempt", 1)

    def text() -> str:
        if payload.get("ok"):
            return _("Forum: %(action)s done (attempt %(attempt)s).") % {
                "action": action,
                "attempt": attempt,
            }
        values = {
            "action": action,
            "attempt": attempt,
            "status": payload.get("status_code") or _("no answer"),
            "error": payload.get("error") or _("unknown"),
        }
        if payload.get("permanent"):
            return (
                _(
                    "Forum: %(action)s failed on attempt %(attempt)s (%(status)s: %(error)s; "
                    "permanent)."
                )
                % values
            )
        return (
            _(
                "Forum: %(action)s failed on attempt %(attempt)s (%(status)s: %(error)s; "
                "will retry)."
            )
            % values
        )

    try:
        with transaction.atomic():
            _entry(
                incident,
                TimelineKind.FORUM,
                text,
                Actor.system("forum"),
                data=payload,
                dedupe_key=f"forum:{event.pk}",
            )
    except IntegrityError:
        pass  # already recorded: subscribers may see an event twice
