"""Declaring, updating and moving incidents along their lifecycle; response metrics and
incident cost. Roles, handoffs and notes are in ``incidents.services.roles``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.domain_events import record_domain_event
from community.models import Community, ConductEvent, DomainEventType, Membership, Space
from community.services import ServiceError
from incidents import cost, rules
from incidents.hooks import close_refusals
from incidents.models import (
    DetectedBy,
    Incident,
    IncidentStatus,
    SevLevel,
    TimelineKind,
)
from incidents.notify import notify_reporters_resolved
from incidents.services.common import (
    Actor,
    _check_members,
    _check_spaces,
    _entry,
    _locked,
    _save,
    _updated_event,
    incident_payload,
)
from incidents.services.reports import _attach_open_reports, _notify_reporters
from incidents.words import duration

# --- Declaring and updating -----------------------------------------------------------------


# The fields an update names on the timeline, in the community's words.
CHANGED_WORDS = {
    "parties": gettext_lazy("parties"),
    "severity": gettext_lazy("severity"),
    "spaces": gettext_lazy("spaces"),
    "summary": gettext_lazy("summary"),
    "title": gettext_lazy("title"),
}


def declare_incident(
    *,
    community: Community,
    title: str,
    severity: str,
    actor: Actor,
    spaces: Sequence[Space] = (),
    summary: str = "",
    parties: Sequence[Membership] = (),
    detected_by: str = DetectedBy.MODERATOR,
    trigger_event_ids: Sequence[int] = (),
) -> Incident:
    title = title.strip()
    if not title:
        raise ServiceError(_("Give the incident a short title (what is happening, not who)."))
    if severity not in SevLevel.values:
        raise ServiceError(
            _("Severity must be one of %(levels)s.") % {"levels": ", ".join(SevLevel.values)}
        )
    if detected_by not in DetectedBy.values:
        raise ServiceError(_("Unknown detection “%(detected_by)s”.") % {"detected_by": detected_by})
    space_list = _check_spaces(community, spaces)
    party_list = _check_members(community, parties)
    if severity == SevLevel.SEV3 and not space_list:
        raise ServiceError(_("A SEV3 incident is about one space: choose it."))
    with transaction.atomic():
        incident = Incident.objects.create(
            community=community,
            title=title,
            summary=summary.strip(),
            severity=severity,
            detected_by=detected_by,
            declared_by=actor.user,
            trigger_event_ids=sorted(set(trigger_event_ids)),
        )
        incident.spaces.set(space_list)
        incident.parties.set(party_list)
        names = ", ".join(s.name for s in space_list)
        _entry(
            incident,
            TimelineKind.DECLARED,
            lambda: (
                _("Declared %(severity)s in %(where)s (%(by)s).")
                % {
                    "severity": severity,
                    "where": names or _("the whole community"),
                    "by": incident.get_detected_by_display().lower(),
                }
            ),
            actor,
            data={"trigger_event_ids": incident.trigger_event_ids},
        )
        _attach_open_reports(incident, space_list, actor)
        record_domain_event(
            community=community,
            type=DomainEventType.INCIDENT_DECLARED,
            payload=incident_payload(incident),
        )
    return incident


def update_incident(
    *,
    incident: Incident,
    expected_version: int | None,
    actor: Actor,
    title: str | None = None,
    summary: str | None = None,
    severity: str | None = None,
    spaces: Sequence[Space] | None = None,
    parties: Sequence[Membership] | None = None,
) -> Incident:
    with transaction.atomic():
        inc = _locked(incident.pk, expected_version)
        changes: dict[str, Any] = {}
        fields: list[str] = []
        if title is not None and title.strip() != inc.title:
            if not title.strip():
                raise ServiceError(_("The title cannot be empty."))
            changes["title"] = [inc.title, title.strip()]
            inc.title = title.strip()
            fields.append("title")
        if summary is not None and summary.strip() != inc.summary:
            changes["summary"] = [inc.summary, summary.strip()]
            inc.summary = summary.strip()
            fields.append("summary")
        if severity is not None and severity != inc.severity:
            if severity not in SevLevel.values:
                raise ServiceError(
                    _("Severity must be one of %(levels)s.")
                    % {"levels": ", ".join(SevLevel.values)}
                )
            changes["severity"] = [inc.severity, severity]
            inc.severity = severity
            fields.append("severity")
        if spaces is not None:
            new = _check_spaces(inc.community, spaces)
            old_ids = sorted(inc.spaces.values_list("pk", flat=True))
            new_ids = sorted(s.pk for s in new)
            if old_ids != new_ids:
                if inc.severity == SevLevel.SEV3 and not new:
                    raise ServiceError(_("A SEV3 incident needs its space."))
                inc.spaces.set(new)
                changes["spaces"] = [old_ids, new_ids]
                added = [s for s in new if s.pk not in old_ids]
        if parties is not None:
            new_parties = _check_members(inc.community, parties)
            old_ids = sorted(inc.parties.values_list("pk", flat=True))
            new_ids = sorted(m.pk for m in new_parties)
            if old_ids != new_ids:
                inc.parties.set(new_parties)
                changes["parties"] = [len(old_ids), len(new_ids)]
        if not changes:
            return inc
        _save(inc, *fields)
        _entry(
            inc,
            TimelineKind.UPDATED,
            lambda: (
                _("Updated %(fields)s.")
                % {"fields": ", ".join(str(CHANGED_WORDS[name]) for name in sorted(changes))}
            ),
            actor,
            data={k: v for k, v in changes.items() if k != "summary"},
        )
        if "spaces" in changes:
            _attach_open_reports(inc, added, actor)
        public = {k: v for k, v in changes.items() if k != "parties"}
        if public:
            _updated_event(inc, public)
    return inc


def transition_incident(
    *,
    incident: Incident,
    to: str,
    expected_version: int | None,
    actor: Actor,
    reason: str = "",
    summary: str | None = None,
) -> Incident:
    """Move an incident to ``to``. Resolving with a ``summary`` (the web always gives one, so a
    blank one is refused) stores it and puts it on the timeline and the public status page."""
    with transaction.atomic():
        inc = _locked(incident.pk, expected_version)
        _transition(inc, to, actor, reason=reason.strip(), summary=summary)
    return inc


def _transition(
    inc: Incident, to: str, actor: Actor, *, reason: str = "", summary: str | None = None
) -> None:
    error = rules.transition_error(inc.status, to)
    if error:
        raise ServiceError(error)
    if to == IncidentStatus.RESOLVED and summary is not None and not summary.strip():
        raise ServiceError(
            _(
                "Write a short summary of how it was resolved: it goes on the timeline and the "
                "public status page."
            )
        )
    now = timezone.now()
    fields = ["status"]
    if to == IncidentStatus.CLOSED:
        refusals = close_refusals(inc)
        if refusals:
            raise ServiceError(" ".join(refusals))
    stamp = {
        IncidentStatus.MITIGATING: "mitigating_at",
        IncidentStatus.MONITORING: "monitoring_at",
        IncidentStatus.RESOLVED: "resolved_at",
        IncidentStatus.CLOSED: "closed_at",
    }[IncidentStatus(to)]
    if getattr(inc, stamp) is None:  # a flare-up keeps the first time it was mitigated
        setattr(inc, stamp, now)
        fields.append(stamp)
    old = inc.status
    inc.status = to
    if to == IncidentStatus.CLOSED and reason:
        inc.close_reason = reason
        fields.append("close_reason")
    if to == IncidentStatus.RESOLVED:
        _compute_cost(inc, end=now)
        fields += ["cost_bad_events", "cost_detail", "postmortem_required"]
        if summary is not None:
            inc.resolution_summary = summary.strip()[:1000]
            fields.append("resolution_summary")
    _save(inc, *fields)
    with_summary = to == IncidentStatus.RESOLVED and summary is not None

    def text() -> str:
        words = _("Status %(old)s → %(new)s.") % {
            "old": IncidentStatus(old).label.lower(),
            "new": IncidentStatus(to).label.lower(),
        }
        if reason:
            words += f" {reason}"
        if with_summary:
            words += " " + _("Summary: %(summary)s") % {"summary": inc.resolution_summary}
        return words

    _entry(inc, TimelineKind.STATUS, text, actor, data={"from": old, "to": to})
    if to == IncidentStatus.RESOLVED:
        m = incident_metrics(inc)

        def took() -> str:
            words = _(
                "Time to facilitator %(facilitator)s, to cooldown %(cooldown)s, to resolution "
                "%(resolution)s; %(count)s bad events in its spaces."
            ) % {
                "facilitator": duration(m.to_facilitator),
                "cooldown": duration(m.to_cooldown),
                "resolution": duration(m.to_resolution),
                "count": inc.cost_bad_events,
            }
            if inc.postmortem_required:
                words += " " + _("Postmortem required.")
            return words

        _entry(
            inc,
            TimelineKind.METRICS,
            took,
            Actor.system("metrics"),
            data={"cost_detail": inc.cost_detail},
        )
        _notify_reporters(inc, Actor.system("notices"))  # the timeline and the status page
        notify_reporters_resolved(incident=inc)  # the notification centre
    _updated_event(inc, {"status": [old, to]})


def _compute_cost(inc: Incident, *, end: datetime) -> None:
    spaces = list(inc.spaces.all())
    start = inc.declared_at
    if inc.trigger_event_ids:
        first = (
            ConductEvent.objects.filter(pk__in=inc.trigger_event_ids)
            .order_by("occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
        if first is not None and first < start:
            start = first
    ids = cost.bad_event_ids(community=inc.community, spaces=spaces, start=start, end=end)
    shares = cost.clause_shares(community=inc.community, spaces=spaces, start=start, end=end)
    inc.cost_bad_events = len(ids)
    inc.cost_detail = [
        {
            "clause_id": s.clause_id,
            "title": s.title,
            "share": str(s.share.quantize(Decimal("0.0001"))),
            "percent": str((s.share * 100).quantize(Decimal("0.1"))),
            "over_limit": s.share > rules.POSTMORTEM_SHARE,
        }
        for s in shares
    ]
    inc.postmortem_required = rules.postmortem_required(shares)


def record_cost(*, incident: Incident) -> Incident:
    """(Re)compute the cost of a resolved incident, e.g. once clause budgets are known."""
    with transaction.atomic():
        inc = _locked(incident.pk, None)
        _compute_cost(inc, end=inc.resolved_at or timezone.now())
        _save(inc, "cost_bad_events", "cost_detail", "postmortem_required")
    return inc


# --- Metrics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentMetrics:
    to_facilitator: timedelta | None
    to_cooldown: timedelta | None
    to_resolution: timedelta | None


def incident_metrics(incident: Incident) -> IncidentMetrics:
    return IncidentMetrics(
        to_facilitator=rules.elapsed(incident.declared_at, incident.facilitator_at),
        to_cooldown=rules.elapsed(incident.declared_at, incident.first_cooldown_at),
        to_resolution=rules.elapsed(incident.declared_at, incident.resolved_at),
    )


@dataclass(frozen=True)
class PeriodMetrics:
    period: str
    incidents: int
    to_facilitator: timedelta | None
    to_cooldown: timedelta | None
    to_resolution: timedelta | None


def metrics_by_month(incidents: Sequence[Incident]) -> list[PeriodMetrics]:
    """Median response times per calendar month of declaration, newest first."""
    by_month: dict[str, list[Incident]] = {}
    for inc in incidents:
        by_month.setdefault(inc.declared_at.strftime("%Y-%m"), []).append(inc)
    rows = []
    for month in sorted(by_month, reverse=True):
        metrics = [incident_metrics(i) for i in by_month[month]]
        rows.append(
            PeriodMetrics(
                period=month,
                incidents=len(metrics),
                to_facilitator=rules.median(m.to_facilitator for m in metrics),
                to_cooldown=rules.median(m.to_cooldown for m in metrics),
                to_resolution=rules.median(m.to_resolution for m in metrics),
            )
        )
    return rows
