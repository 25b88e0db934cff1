"""State changes of incidents, roles, runbooks and cooldowns. Views, the API, tasks and the
domain-event subscribers all call these; nothing else writes these models.

Concurrency: every change to an incident locks its row and bumps ``Incident.version``. A change
a person makes from a page (or an API client from a read) passes the version it saw as
``expected_version``; if someone else changed the incident meanwhile, ``StaleIncident`` says so
and nothing changes. Background work (runbook steps, expiring cooldowns) passes ``None``: it
acts on the latest state but still bumps the version, so a page that acted on older state is
told to reload.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from community.domain_events import record_domain_event
from community.models import Community, ConductEvent, DomainEvent, Membership, Space
from community.services import ServiceError
from community.vocabulary import ACTIVITY_KINDS, FRICTION_KINDS
from incidents import cost, rules
from incidents.models import (
    AlertResponse,
    Cooldown,
    CooldownEndReason,
    CooldownMode,
    DetectedBy,
    FacilitatorHandoff,
    HandoffStatus,
    Incident,
    IncidentReport,
    IncidentRole,
    IncidentSettings,
    IncidentStatus,
    Notice,
    ReportSource,
    ReportStatus,
    RoleKind,
    Runbook,
    RunbookRun,
    SevLevel,
    StepKind,
    StepRun,
    StepStatus,
    TimelineEntry,
    TimelineKind,
)
from incidents.models.incidents import MODERATOR_ROLES

logger = logging.getLogger(__name__)

MAX_SLOW_MODE_SECONDS = 6 * 3600


class StaleIncident(ServiceError):
    """Someone else changed the incident since the caller last looked."""


class StepFailed(Exception):
    """A runbook step failed for a reason retrying will not fix."""


class TransientStepError(Exception):
    """A runbook step failed for a reason that may pass (mail server down, lock timeout)."""


@dataclass(frozen=True)
class Actor:
    """Who does something: a person, or a named part of the system (a runbook, an API key)."""

    user: User | None = None
    label: str = ""

    @classmethod
    def person(cls, user: User) -> Actor:
        return cls(user=user, label=user.get_username())

    @classmethod
    def system(cls, label: str) -> Actor:
        return cls(user=None, label=label)

    @property
    def name(self) -> str:
        return self.label or (self.user.get_username() if self.user else "system")


# --- Payloads (docs/domain-events.md) -------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def space_payload(space: Space) -> dict[str, Any]:
    return {
        "id": space.pk,
        "name": space.name,
        "kind": space.kind,
        "source": space.source,
        "external_id": space.external_id,
    }


def incident_payload(incident: Incident) -> dict[str, Any]:
    return {
        "incident_id": incident.pk,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "spaces": [space_payload(s) for s in incident.spaces.order_by("pk")],
        "declared_at": _iso(incident.declared_at),
        "detected_by": incident.detected_by,
    }


def cooldown_payload(cooldown: Cooldown) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "cooldown_id": cooldown.pk,
        "incident_id": cooldown.incident_id,
        "space": space_payload(cooldown.space),
        "mode": cooldown.mode,
    }
    if cooldown.mode == CooldownMode.SLOW_MODE:
        payload["slow_mode_seconds"] = cooldown.slow_mode_seconds
    payload["starts_at"] = _iso(cooldown.starts_at)
    payload["ends_at"] = _iso(cooldown.ends_at)
    return payload


# --- Small helpers --------------------------------------------------------------------------


def settings_for(community: Community) -> IncidentSettings:
    found, _ = IncidentSettings.objects.get_or_create(community=community)
    return found


def _locked(incident_id: int, expected_version: int | None) -> Incident:
    incident = (
        Incident.objects.select_for_update().select_related("community").filter(pk=incident_id)
    ).first()
    if incident is None:
        raise ServiceError("That incident no longer exists.")
    if expected_version is not None and incident.version != expected_version:
        raise StaleIncident(
            "Someone else changed this incident while you were looking at it. "
            "Reload to see their change, then try again if it is still needed."
        )
    return incident


def _save(incident: Incident, *fields: str) -> None:
    """Write ``fields`` and bump the version, guarded by the version we hold."""
    values = {name: getattr(incident, name) for name in fields}
    updated = Incident.objects.filter(pk=incident.pk, version=incident.version).update(
        **values, version=incident.version + 1
    )
    if updated != 1:
        raise StaleIncident("Someone else changed this incident at the same moment. Reload.")
    incident.version += 1


def _entry(
    incident: Incident,
    kind: str,
    text: str,
    actor: Actor,
    *,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident,
        kind=kind,
        text=text,
        author=actor.user,
        author_label=actor.name,
        data=data or {},
        dedupe_key=dedupe_key,
    )


def _check_spaces(community: Community, spaces: Iterable[Space]) -> list[Space]:
    result = list(spaces)
    for space in result:
        if space.community_id != community.pk:
            raise ServiceError(f"“{space.name}” is a space of another community.")
    return result


def _check_members(community: Community, members: Iterable[Membership]) -> list[Membership]:
    result = list(members)
    for m in result:
        if m.community_id != community.pk:
            raise ServiceError(f"{m.display_name} is not a member of this community.")
    return result


def _updated_event(incident: Incident, changes: dict[str, Any]) -> None:
    record_domain_event(
        community=incident.community,
        type="incident.updated",
        payload={**incident_payload(incident), "changes": changes},
    )


# --- Declaring and updating -----------------------------------------------------------------


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
        raise ServiceError("Give the incident a short title (what is happening, not who).")
    if severity not in SevLevel.values:
        raise ServiceError(f"Severity must be one of {', '.join(SevLevel.values)}.")
    if detected_by not in DetectedBy.values:
        raise ServiceError(f"Unknown detection “{detected_by}”.")
    space_list = _check_spaces(community, spaces)
    party_list = _check_members(community, parties)
    if severity == SevLevel.SEV3 and not space_list:
        raise ServiceError("A SEV3 incident is about one space: choose it.")
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
        where = ", ".join(s.name for s in space_list) or "the whole community"
        _entry(
            incident,
            TimelineKind.DECLARED,
            f"Declared {severity} in {where} ({incident.get_detected_by_display().lower()}).",
            actor,
            data={"trigger_event_ids": incident.trigger_event_ids},
        )
        record_domain_event(
            community=community, type="incident.declared", payload=incident_payload(incident)
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
                raise ServiceError("The title cannot be empty.")
            changes["title"] = [inc.title, title.strip()]
            inc.title = title.strip()
            fields.append("title")
        if summary is not None and summary.strip() != inc.summary:
            changes["summary"] = [inc.summary, summary.strip()]
            inc.summary = summary.strip()
            fields.append("summary")
        if severity is not None and severity != inc.severity:
            if severity not in SevLevel.values:
                raise ServiceError(f"Severity must be one of {', '.join(SevLevel.values)}.")
            changes["severity"] = [inc.severity, severity]
            inc.severity = severity
            fields.append("severity")
        if spaces is not None:
            new = _check_spaces(inc.community, spaces)
            old_ids = sorted(inc.spaces.values_list("pk", flat=True))
            new_ids = sorted(s.pk for s in new)
            if old_ids != new_ids:
                if inc.severity == SevLevel.SEV3 and not new:
                    raise ServiceError("A SEV3 incident needs its space.")
                inc.spaces.set(new)
                changes["spaces"] = [old_ids, new_ids]
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
            "Updated " + ", ".join(sorted(changes)) + ".",
            actor,
            data={k: v for k, v in changes.items() if k != "summary"},
        )
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
) -> Incident:
    with transaction.atomic():
        inc = _locked(incident.pk, expected_version)
        _transition(inc, to, actor, reason=reason.strip())
    return inc


def _transition(inc: Incident, to: str, actor: Actor, *, reason: str = "") -> None:
    error = rules.transition_error(inc.status, to)
    if error:
        raise ServiceError(error)
    now = timezone.now()
    fields = ["status"]
    if to == IncidentStatus.CLOSED and inc.postmortem_required and not reason:
        raise ServiceError(
            "This incident consumed more than 20 % of a clause's budget, so it needs a "
            "restorative postmortem. Until postmortems exist here, write why it can be closed."
        )
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
    _save(inc, *fields)
    text = f"Status {old} → {to}."
    if reason:
        text += f" {reason}"
    _entry(inc, TimelineKind.STATUS, text, actor, data={"from": old, "to": to})
    if to == IncidentStatus.RESOLVED:
        m = incident_metrics(inc)
        _entry(
            inc,
            TimelineKind.METRICS,
            f"Time to facilitator {rules.humanize_duration(m.to_facilitator)}, to cooldown "
            f"{rules.humanize_duration(m.to_cooldown)}, to resolution "
            f"{rules.humanize_duration(m.to_resolution)}; {inc.cost_bad_events} bad events in "
            "its spaces." + (" Postmortem required." if inc.postmortem_required else ""),
            Actor.system("metrics"),
            data={"cost_detail": inc.cost_detail},
        )
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
    ids = cost.bad_event_ids(spaces=spaces, start=start, end=end)
    budgets = cost.clause_budgets(community=inc.community, spaces=spaces, event_ids=ids, at=end)
    inc.cost_bad_events = len(ids)
    inc.cost_detail = [
        {
            "clause_id": b.clause_id,
            "title": b.title,
            "allowed_bad": str(b.allowed_bad),
            "consumed": b.consumed,
            "share": str(b.share.quantize(Decimal("0.0001"))),
        }
        for b in budgets
    ]
    inc.postmortem_required = rules.postmortem_required(budgets)


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


# --- Roles and the facilitator handoff ------------------------------------------------------


def _active_role(inc: Incident, kind: str) -> IncidentRole | None:
    return inc.roles.active().filter(kind=kind).select_related("membership").first()


def offer_facilitator(
    *, incident: Incident, to: Membership, expected_version: int | None, actor: Actor
) -> FacilitatorHandoff:
    """Offer to make ``to`` the facilitator. It takes effect when they accept; a moderator who
    offers it to themselves has accepted by doing so."""
    with transaction.atomic():
        inc = _locked(incident.pk, expected_version)
        if not inc.is_open:
            raise ServiceError("This incident is no longer open.")
        _check_members(inc.community, [to])
        if not to.is_moderator or to.user_id is None:
            raise ServiceError(
                f"{to.display_name} cannot facilitate: facilitators are moderators with a login."
            )
        current = _active_role(inc, RoleKind.FACILITATOR)
        if current is not None and current.membership_id == to.pk:
            raise ServiceError(f"{to.display_name} is already the facilitator.")
        if inc.handoffs.filter(status=HandoffStatus.OFFERED).exists():
            raise ServiceError(
                "An offer to facilitate is still waiting for an answer; withdraw it first."
            )
        handoff = FacilitatorHandoff.objects.create(
            incident=inc,
            to_membership=to,
            from_membership=current.membership if current else None,
            offered_by=actor.user,
        )
        _save(inc)
        _entry(
            inc,
            TimelineKind.HANDOFF,
            f"Offered the facilitator role to {to.display_name}.",
            actor,
            data={"handoff_id": handoff.pk, "to": to.pk},
        )
        if actor.user is not None and actor.user.pk == to.user_id:
            _accept(inc, handoff, actor)
    return handoff


def respond_to_handoff(*, handoff: FacilitatorHandoff, user: User, accept: bool) -> Incident:
    """The person offered the role accepts or declines. Only they can."""
    with transaction.atomic():
        inc = _locked(handoff.incident_id, None)
        offer = FacilitatorHandoff.objects.select_for_update().get(pk=handoff.pk)
        if offer.status != HandoffStatus.OFFERED:
            raise ServiceError("This offer is no longer open.")
        to = offer.to_membership
        if to.user_id != user.pk:
            raise ServiceError(f"Only {to.display_name} can answer this offer.")
        actor = Actor.person(user)
        if accept:
            _accept(inc, offer, actor)
        else:
            offer.status = HandoffStatus.DECLINED
            offer.responded_at = timezone.now()
            offer.save(update_fields=["status", "responded_at"])
            _save(inc)
            _entry(inc, TimelineKind.HANDOFF, f"{to.display_name} declined to facilitate.", actor)
    return inc


def withdraw_handoff(
    *, handoff: FacilitatorHandoff, expected_version: int | None, actor: Actor
) -> Incident:
    with transaction.atomic():
        inc = _locked(handoff.incident_id, expected_version)
        offer = FacilitatorHandoff.objects.select_for_update().get(pk=handoff.pk)
        if offer.status != HandoffStatus.OFFERED:
            raise ServiceError("This offer is no longer open.")
        offer.status = HandoffStatus.WITHDRAWN
        offer.responded_at = timezone.now()
        offer.save(update_fields=["status", "responded_at"])
        _save(inc)
        _entry(
            inc,
            TimelineKind.HANDOFF,
            f"Withdrew the offer to {offer.to_membership.display_name}.",
            actor,
        )
    return inc


def _accept(inc: Incident, offer: FacilitatorHandoff, actor: Actor) -> None:
    now = timezone.now()
    current = _active_role(inc, RoleKind.FACILITATOR)
    if current is not None:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
    IncidentRole.objects.create(
        incident=inc,
        kind=RoleKind.FACILITATOR,
        membership=offer.to_membership,
        assigned_by=offer.offered_by,
        assigned_at=now,
    )
    offer.status = HandoffStatus.ACCEPTED
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])
    fields = []
    if inc.facilitator_at is None:
        inc.facilitator_at = now
        fields.append("facilitator_at")
    _save(inc, *fields)
    name = offer.to_membership.display_name
    text = (
        f"{name} took over as facilitator from {current.membership.display_name}."
        if current
        else f"{name} is the facilitator."
    )
    _entry(inc, TimelineKind.ROLE, text, actor, data={"role": "facilitator", "to": name})


def assign_role(
    *,
    incident: Incident,
    kind: str,
    membership: Membership | None,
    expected_version: int | None,
    actor: Actor,
) -> Incident:
    """Give a non-facilitator role to someone (or clear it with ``membership=None``)."""
    if kind == RoleKind.FACILITATOR:
        raise ServiceError("The facilitator role is offered and takes effect when accepted.")
    if kind not in RoleKind.values:
        raise ServiceError(f"Unknown role “{kind}”.")
    with transaction.atomic():
        inc = _locked(incident.pk, expected_version)
        if not inc.is_open:
            raise ServiceError("This incident is no longer open.")
        label = RoleKind(kind).label.lower()
        if membership is not None:
            _check_members(inc.community, [membership])
            if kind in MODERATOR_ROLES and not membership.is_moderator:
                raise ServiceError(f"The {label} must be a moderator.")
        current = _active_role(inc, kind)
        if (
            current is not None
            and membership is not None
            and current.membership_id == membership.pk
        ):
            raise ServiceError(f"{membership.display_name} is already the {label}.")
        if current is None and membership is None:
            raise ServiceError(f"Nobody is the {label}.")
        now = timezone.now()
        if current is not None:
            current.ended_at = now
            current.save(update_fields=["ended_at"])
        if membership is not None:
            IncidentRole.objects.create(
                incident=inc, kind=kind, membership=membership, assigned_by=actor.user
            )
            text = f"{membership.display_name} is the {label}."
        else:
            text = f"Nobody is the {label} any more."
        _save(inc)
        _entry(inc, TimelineKind.ROLE, text, actor, data={"role": kind})
    return inc


def add_note(*, incident: Incident, text: str, actor: Actor) -> TimelineEntry:
    """Notes are appended and never change the incident's state, so they need no version."""
    text = text.strip()
    if not text:
        raise ServiceError("Write something in the note.")
    if len(text) > 5000:
        raise ServiceError("Keep a note under 5000 characters.")
    return _entry(incident, TimelineKind.NOTE, text, actor)


# --- Cooldowns ------------------------------------------------------------------------------


def start_cooldown(
    *,
    community: Community,
    space: Space,
    mode: str,
    ends_at: datetime | None,
    actor: Actor,
    slow_mode_seconds: int | None = None,
    incident: Incident | None = None,
    expected_version: int | None = None,
    step_run: StepRun | None = None,
) -> Cooldown:
    if space.community_id != community.pk:
        raise ServiceError("That space belongs to another community; a cooldown stays at home.")
    if mode not in CooldownMode.values:
        raise ServiceError("Choose slow mode or read-only.")
    if mode == CooldownMode.SLOW_MODE:
        if not slow_mode_seconds or not 0 < slow_mode_seconds <= MAX_SLOW_MODE_SECONDS:
            raise ServiceError(
                f"Slow mode needs an interval between 1 and {MAX_SLOW_MODE_SECONDS} seconds."
            )
    else:
        slow_mode_seconds = None
    now = timezone.now()
    _check_end(community, ends_at, now)
    assert ends_at is not None
    with transaction.atomic():
        inc = None
        if incident is not None:
            inc = _locked(incident.pk, expected_version)
            if inc.community_id != community.pk:
                raise ServiceError("That incident belongs to another community.")
            if not inc.is_open:
                raise ServiceError("This incident is no longer open.")
        active = Cooldown.objects.select_for_update().filter(space=space, ended_at__isnull=True)
        existing = active.first()
        if existing is not None:
            raise ServiceError(
                f"{space.name} already has an active cooldown until "
                f"{existing.ends_at:%Y-%m-%d %H:%M} UTC; extend that one instead."
            )
        try:
            with transaction.atomic():
                cooldown = Cooldown.objects.create(
                    community=community,
                    space=space,
                    incident=inc,
                    step_run=step_run,
                    mode=mode,
                    slow_mode_seconds=slow_mode_seconds,
                    starts_at=now,
                    ends_at=ends_at,
                    started_by=actor.user,
                    started_by_label=actor.name,
                )
        except IntegrityError:
            raise ServiceError(f"{space.name} already has an active cooldown.") from None
        record_domain_event(
            community=community, type="cooldown.started", payload=cooldown_payload(cooldown)
        )
        if inc is not None:
            if not inc.spaces.filter(pk=space.pk).exists():
                inc.spaces.add(space)
            fields = []
            if inc.first_cooldown_at is None:
                inc.first_cooldown_at = now
                fields.append("first_cooldown_at")
            _save(inc, *fields)
            _entry(
                inc,
                TimelineKind.COOLDOWN,
                f"Cooldown started on {space.name}: {cooldown.describe()} until "
                f"{ends_at:%H:%M} UTC.",
                actor,
                data={"cooldown_id": cooldown.pk},
            )
            if inc.status == IncidentStatus.DECLARED:
                _transition(inc, IncidentStatus.MITIGATING, actor, reason="A cooldown is on.")
        transaction.on_commit(lambda: _schedule_end(cooldown.pk, ends_at))
    return cooldown


def _check_end(community: Community, ends_at: datetime | None, now: datetime) -> None:
    if ends_at is None:
        raise ServiceError("A cooldown needs an end: every restriction is timed.")
    if ends_at <= now:
        raise ServiceError("The end must be in the future.")
    limit = settings_for(community).max_cooldown_minutes
    if ends_at - now > timedelta(minutes=limit):
        raise ServiceError(
            f"That is longer than this community's maximum cooldown of "
            f"{rules.humanize_duration(timedelta(minutes=limit))}."
        )


def _schedule_end(cooldown_id: int, ends_at: datetime) -> None:
    from incidents.tasks import end_cooldown

    try:
        end_cooldown.apply_async(args=(cooldown_id,), eta=ends_at)
    except Exception:
        # The broker is down: the periodic sweep ends the cooldown on time anyway.
        logger.warning("could not schedule the end of cooldown %s; the sweep will", cooldown_id)


def extend_cooldown(
    *,
    cooldown: Cooldown,
    ends_at: datetime | None,
    actor: Actor,
    expected_version: int | None = None,
) -> Cooldown:
    now = timezone.now()
    with transaction.atomic():
        inc = _locked(cooldown.incident_id, expected_version) if cooldown.incident_id else None
        cd = (
            Cooldown.objects.select_for_update()
            .select_related("space", "community")
            .get(pk=cooldown.pk)
        )
        if cd.ended_at is not None:
            raise ServiceError("This cooldown has already ended; start a new one if needed.")
        _check_end(cd.community, ends_at, now)
        assert ends_at is not None
        if ends_at <= cd.ends_at:
            raise ServiceError(
                f"To extend, choose an end after the current one ({cd.ends_at:%H:%M} UTC). "
                "To end it sooner, lift it."
            )
        old = cd.ends_at
        cd.ends_at = ends_at
        cd.save(update_fields=["ends_at"])
        record_domain_event(
            community=cd.community, type="cooldown.extended", payload=cooldown_payload(cd)
        )
        if inc is not None:
            _save(inc)
            _entry(
                inc,
                TimelineKind.COOLDOWN,
                f"Cooldown on {cd.space.name} extended from {old:%H:%M} to {ends_at:%H:%M} UTC.",
                actor,
                data={"cooldown_id": cd.pk},
            )
        transaction.on_commit(lambda: _schedule_end(cd.pk, ends_at))
    return cd


def lift_cooldown(
    *, cooldown: Cooldown, reason: str, actor: Actor, expected_version: int | None = None
) -> Cooldown:
    reason = reason.strip()
    if not reason:
        raise ServiceError("Say why the cooldown is lifted early (it goes on the timeline).")
    with transaction.atomic():
        inc = _locked(cooldown.incident_id, expected_version) if cooldown.incident_id else None
        return _end_cooldown(cooldown.pk, CooldownEndReason.LIFTED, actor, inc, note=reason)


def _end_cooldown(
    cooldown_id: int,
    reason: str,
    actor: Actor,
    inc: Incident | None,
    *,
    note: str = "",
    now: datetime | None = None,
) -> Cooldown:
    cd = (
        Cooldown.objects.select_for_update()
        .select_related("space", "community")
        .get(pk=cooldown_id)
    )
    if cd.ended_at is not None:
        raise ServiceError("This cooldown has already ended.")
    cd.ended_at = now or timezone.now()
    cd.end_reason = reason
    cd.lift_reason = note
    cd.save(update_fields=["ended_at", "end_reason", "lift_reason"])
    record_domain_event(
        community=cd.community,
        type="cooldown.ended",
        payload={
            "cooldown_id": cd.pk,
            "incident_id": cd.incident_id,
            "space": space_payload(cd.space),
            "mode": cd.mode,
            "ended_at": _iso(cd.ended_at),
            "reason": reason,
        },
    )
    if inc is not None:
        _save(inc)
        label = CooldownEndReason(reason).label.lower()
        _entry(
            inc,
            TimelineKind.COOLDOWN,
            f"Cooldown on {cd.space.name} {label}." + (f" {note}" if note else ""),
            actor,
            data={"cooldown_id": cd.pk, "reason": reason},
        )
    return cd


def expire_cooldown(*, cooldown_id: int) -> bool:
    """End a cooldown whose time is up. Safe to call early, twice or after an extension: it
    acts only on an active cooldown whose end has passed."""
    with transaction.atomic():
        cd = Cooldown.objects.filter(pk=cooldown_id).first()
        if cd is None or cd.ended_at is not None or cd.ends_at > timezone.now():
            return False
        inc = _locked(cd.incident_id, None) if cd.incident_id else None
        cd = Cooldown.objects.select_for_update().get(pk=cooldown_id)
        if cd.ended_at is not None:
            return False
        _end_cooldown(cd.pk, CooldownEndReason.EXPIRED, Actor.system("timer"), inc, now=cd.ends_at)
    return True


def sweep_expired_cooldowns() -> int:
    """End every cooldown that is past its end (in case a scheduled end was lost)."""
    ended = 0
    for pk in Cooldown.objects.overdue(timezone.now()).values_list("pk", flat=True):
        ended += expire_cooldown(cooldown_id=pk)
    return ended


# --- Calm ------------------------------------------------------------------------------------


def space_calm(
    *,
    space: Space,
    target: str = "0.98",
    threshold: str = "1",
    long_minutes: int = 60,
    short_minutes: int = 5,
    now: datetime | None = None,
) -> rules.CalmVerdict:
    """Burn rate of the space over a long and a short window (by recorded time, as alerts)."""
    now = now or timezone.now()
    counts = []
    for minutes in (long_minutes, short_minutes):
        since = now - timedelta(minutes=minutes)
        row = ConductEvent.objects.filter(
            space=space, recorded_at__gt=since, recorded_at__lte=now
        ).aggregate(
            bad=Count("pk", filter=Q(kind__in=FRICTION_KINDS)),
            total=Count("pk", filter=Q(kind__in=ACTIVITY_KINDS)),
        )
        counts.append(
            rules.WindowCount(
                hours=Decimal(minutes) / 60, bad=row["bad"] or 0, total=row["total"] or 0
            )
        )
    return rules.is_calm(counts[0], counts[1], target=target, threshold=threshold)


# --- Runbooks -------------------------------------------------------------------------------


def start_runbook(
    *, incident: Incident, runbook: Runbook, expected_version: int | None, actor: Actor
) -> RunbookRun:
    with transaction.atomic():
        inc = _locked(incident.pk, expected_version)
        if runbook.community_id != inc.community_id:
            raise ServiceError("That runbook belongs to another community.")
        if not runbook.is_active:
            raise ServiceError("That runbook is retired.")
        if not inc.is_open:
            raise ServiceError("This incident is no longer open.")
        if inc.runbook_runs.filter(runbook=runbook).exists():
            raise ServiceError(f"“{runbook.name}” is already running on this incident.")
        run = RunbookRun.objects.create(incident=inc, runbook=runbook, started_by=actor.user)
        space_kinds = set(inc.spaces.values_list("kind", flat=True))
        for step in runbook.steps.order_by("position"):
            status, reason = StepStatus.PENDING, ""
            if step.only_severities and inc.severity not in step.only_severities:
                status = StepStatus.SKIPPED
                reason = f"Condition not met: runs only for {'/'.join(step.only_severities)}."
            elif step.only_space_kinds and not space_kinds & set(step.only_space_kinds):
                status = StepStatus.SKIPPED
                reason = f"Condition not met: runs only in a {' or '.join(step.only_space_kinds)}."
            StepRun.objects.create(
                run=run,
                position=step.position,
                title=step.title,
                kind=step.kind,
                config=step.config,
                status=status,
                reason=reason,
                finished_at=timezone.now() if status == StepStatus.SKIPPED else None,
            )
        _save(inc)
        _entry(inc, TimelineKind.RUNBOOK, f"Started “{runbook.name}”.", actor, data={"run": run.pk})
        for sr in run.steps.filter(status=StepStatus.SKIPPED):
            _entry(inc, TimelineKind.STEP, f"Step {sr.position} skipped: {sr.reason}", actor)
        _advance(run)
    return run


def _advance(run: RunbookRun) -> None:
    """Walk the run in order: start the next automated step, or stop at a checklist item (a
    person ticks it), a waiting re-check, a running or a failed step."""
    for sr in run.steps.order_by("position"):
        if sr.is_finished:
            continue
        if sr.status == StepStatus.PENDING and sr.is_automated:
            sr.status = StepStatus.RUNNING
            sr.started_at = timezone.now()
            sr.save(update_fields=["status", "started_at"])
            transaction.on_commit(partial(_enqueue_step, sr.pk))
        return
    if run.finished_at is None:
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
        _entry(
            run.incident,
            TimelineKind.RUNBOOK,
            f"“{run.runbook.name}” finished.",
            Actor.system(f"Runbook: {run.runbook.name}"),
        )


def _enqueue_step(step_run_id: int, eta: datetime | None = None) -> None:
    from incidents.tasks import run_step

    try:
        if eta is None:
            run_step.apply_async(args=(step_run_id,))
        else:
            run_step.apply_async(args=(step_run_id,), eta=eta)
    except Exception:
        logger.warning(
            "could not enqueue runbook step %s; the sweep will retry", step_run_id, exc_info=True
        )


def run_step_now(*, step_run: StepRun, expected_version: int | None, actor: Actor) -> StepRun:
    """A person runs a step: ticks a checklist item, (re)starts an automated step that is
    pending or failed, or re-checks a waiting step now."""
    with transaction.atomic():
        inc = _locked(step_run.run.incident_id, expected_version)
        sr = StepRun.objects.select_for_update().select_related("run__runbook").get(pk=step_run.pk)
        if not inc.is_open:
            raise ServiceError("This incident is no longer open.")
        if sr.is_finished:
            raise ServiceError(f"Step {sr.position} is already {sr.status}.")
        if sr.status == StepStatus.RUNNING:
            raise ServiceError(f"Step {sr.position} is running; give it a moment.")
        if sr.kind == StepKind.CHECKLIST:
            sr.status = StepStatus.DONE
            sr.finished_at = timezone.now()
            sr.reason = f"Done by {actor.name}."
            sr.save(update_fields=["status", "finished_at", "reason"])
            _entry(inc, TimelineKind.STEP, f"Step {sr.position} done: {sr.title}", actor)
            _save(inc)
            _advance(sr.run)
            return sr
        sr.status = StepStatus.RUNNING
        sr.error = ""
        sr.started_at = timezone.now()
        sr.save(update_fields=["status", "error", "started_at"])
        _entry(inc, TimelineKind.STEP, f"Step {sr.position} started: {sr.title}", actor)
        _save(inc)
        transaction.on_commit(lambda: _enqueue_step(sr.pk))
    return sr


def skip_step(
    *, step_run: StepRun, reason: str, expected_version: int | None, actor: Actor
) -> StepRun:
    reason = reason.strip()
    if not reason:
        raise ServiceError("Say why the step is skipped.")
    with transaction.atomic():
        inc = _locked(step_run.run.incident_id, expected_version)
        sr = StepRun.objects.select_for_update().select_related("run__runbook").get(pk=step_run.pk)
        if sr.is_finished:
            raise ServiceError(f"Step {sr.position} is already {sr.status}.")
        sr.status = StepStatus.SKIPPED
        sr.reason = reason
        sr.finished_at = timezone.now()
        sr.save(update_fields=["status", "reason", "finished_at"])
        _entry(inc, TimelineKind.STEP, f"Step {sr.position} skipped: {reason}", actor)
        _save(inc)
        _advance(sr.run)
    return sr


def execute_step(*, step_run_id: int) -> str:
    """Run one automated step (called by the ``incidents.run_step`` task). Idempotent: a step
    that is not running or waiting is left alone. Raises ``TransientStepError`` for the task to
    retry; a permanent failure marks the step failed."""
    sr0 = StepRun.objects.select_related("run").filter(pk=step_run_id).first()
    if sr0 is None:
        return "gone"
    with transaction.atomic():
        inc = _locked(sr0.run.incident_id, None)
        sr = StepRun.objects.select_for_update().select_related("run__runbook").get(pk=step_run_id)
        if sr.status not in (StepStatus.RUNNING, StepStatus.WAITING):
            return sr.status
        if sr.status == StepStatus.WAITING and sr.due_at and sr.due_at > timezone.now():
            return sr.status
        sr.attempts += 1
        actor = Actor.system(f"Runbook: {sr.run.runbook.name}")
        try:
            with transaction.atomic():
                outcome, text = _perform(inc, sr, actor)
        except StepFailed as exc:
            outcome, text = StepStatus.FAILED, str(exc)
        sr.status = outcome
        if outcome == StepStatus.FAILED:
            sr.error = text
            sr.finished_at = timezone.now()
            message = f"Step {sr.position} failed: {text}"
        elif outcome == StepStatus.WAITING:
            sr.reason = text
            message = f"Step {sr.position}: {text}"
        else:
            sr.reason = text
            sr.finished_at = timezone.now()
            message = f"Step {sr.position} {outcome}: {sr.title}. {text}"
        sr.save()
        _entry(inc, TimelineKind.STEP, message, actor, data={"step": sr.pk, "status": outcome})
        _save(inc)
        if outcome == StepStatus.WAITING and sr.due_at is not None:
            due = sr.due_at
            transaction.on_commit(lambda: _enqueue_step(sr.pk, eta=due))
        else:
            _advance(sr.run)
    return sr.status


def fail_step(*, step_run_id: int, error: str, attempts: int) -> None:
    """The task gave up retrying a transient error."""
    with transaction.atomic():
        sr0 = StepRun.objects.select_related("run").get(pk=step_run_id)
        inc = _locked(sr0.run.incident_id, None)
        sr = StepRun.objects.select_for_update().select_related("run__runbook").get(pk=step_run_id)
        if sr.status not in (StepStatus.RUNNING, StepStatus.WAITING):
            return
        sr.status = StepStatus.FAILED
        sr.error = error
        sr.attempts = attempts
        sr.finished_at = timezone.now()
        sr.save(update_fields=["status", "error", "attempts", "finished_at"])
        _entry(
            inc,
            TimelineKind.STEP,
            f"Step {sr.position} failed after {attempts} attempts: {error}",
            Actor.system(f"Runbook: {sr.run.runbook.name}"),
        )
        _save(inc)


def note_step_retry(*, step_run_id: int, error: str, attempt: int) -> None:
    sr = StepRun.objects.select_related("run__incident").get(pk=step_run_id)
    _entry(
        sr.run.incident,
        TimelineKind.STEP,
        f"Step {sr.position} attempt {attempt} hit a passing problem ({error}); retrying.",
        Actor.system("worker"),
    )


def _facilitator_name(inc: Incident) -> str:
    role = _active_role(inc, RoleKind.FACILITATOR)
    return role.membership.display_name if role else "A moderator"


def _perform(inc: Incident, sr: StepRun, actor: Actor) -> tuple[str, str]:
    config = sr.config or {}
    spaces = list(inc.spaces.order_by("pk"))
    if sr.kind == StepKind.START_COOLDOWN:
        return _step_cooldown(inc, sr, actor, spaces, config)
    if sr.kind == StepKind.POST_NOTICE:
        if not spaces:
            return StepStatus.SKIPPED, "The incident has no space to post in."
        template = str(config.get("text") or DEFAULT_NOTICE)
        posted = []
        for space in spaces:
            active = space.cooldowns.active().first()
            raw = template.format_map(
                _Fill(
                    facilitator=_facilitator_name(inc),
                    runbook=sr.run.runbook.name,
                    space=space.name,
                    ends_at=f"{active.ends_at:%H:%M} UTC" if active else "later today",
                )
            )
            notice, created = Notice.objects.get_or_create(
                step_run=sr, space=space, defaults={"incident": inc, "raw": raw}
            )
            if created:
                record_domain_event(
                    community=inc.community,
                    type="notice.requested",
                    payload={
                        "notice_id": notice.pk,
                        "incident_id": inc.pk,
                        "space": space_payload(space),
                        "raw": notice.raw,
                    },
                )
            posted.append(space.name)
        return StepStatus.DONE, "Notice requested in " + ", ".join(posted) + "."
    if sr.kind == StepKind.NOTIFY_PARTIES:
        return _step_notify(inc, sr, config)
    if sr.kind == StepKind.SCHEDULE_CHECK_IN:
        minutes = int(config.get("after_minutes") or 60)
        due = timezone.now() + timedelta(minutes=minutes)
        sr.due_at = due
        transaction.on_commit(lambda: _schedule_check_in(sr.pk, due))
        return StepStatus.DONE, f"Check-in due at {due:%H:%M} UTC."
    if sr.kind == StepKind.RECHECK_CALM:
        return _step_recheck(inc, sr, config)
    raise StepFailed(f"“{sr.kind}” is not an automated step.")


class _Fill(dict[str, str]):
    """Fills known placeholders and leaves unknown ones as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


DEFAULT_NOTICE = (
    "**This conversation is cooling down.** {facilitator} is facilitating, following "
    "“{runbook}”. Posting in {space} is slowed until {ends_at}. Take a breath; nobody is in "
    "trouble for having strong feelings. Moderators will check in."
)
DEFAULT_PARTY_MESSAGE = (
    "Hello {name}, a conversation you took part in is cooling down for a while. Nobody is being "
    "judged and this costs you nothing. {facilitator} is facilitating and will check in with you."
)


def _step_cooldown(
    inc: Incident, sr: StepRun, actor: Actor, spaces: list[Space], config: dict[str, Any]
) -> tuple[str, str]:
    if not spaces:
        return StepStatus.SKIPPED, "The incident has no space to cool down."
    minutes = int(config.get("duration_minutes") or 120)
    mode = str(config.get("mode") or CooldownMode.SLOW_MODE)
    seconds = int(config.get("slow_mode_seconds") or 0) or None
    if mode == CooldownMode.SLOW_MODE and seconds is None:
        seconds = 120
    started = []
    for space in spaces:
        active = space.cooldowns.active().first()
        if active is not None:
            if active.incident_id == inc.pk:
                started.append(f"{space.name} (already cooling down)")
                continue
            raise StepFailed(f"{space.name} already has a cooldown from elsewhere.")
        try:
            start_cooldown(
                community=inc.community,
                space=space,
                mode=mode,
                slow_mode_seconds=seconds,
                ends_at=timezone.now() + timedelta(minutes=minutes),
                actor=actor,
                incident=inc,
                step_run=sr,
            )
        except ServiceError as exc:
            raise StepFailed(str(exc)) from None
        started.append(space.name)
    inc.refresh_from_db()
    return StepStatus.DONE, f"{mode.replace('_', ' ')} for {minutes} min on " + ", ".join(
        started
    ) + "."


def _step_notify(inc: Incident, sr: StepRun, config: dict[str, Any]) -> tuple[str, str]:
    parties = list(inc.parties.select_related("user"))
    if not parties:
        return StepStatus.SKIPPED, "No parties are named on this incident."
    template = str(config.get("text") or DEFAULT_PARTY_MESSAGE)
    sent = without = 0
    for party in parties:
        email = party.user.email if party.user is not None else ""
        if not email:
            without += 1
            continue
        body = template.format_map(
            _Fill(name=party.display_name, facilitator=_facilitator_name(inc))
        )
        try:
            send_mail(
                subject=f"{inc.community.name}: a conversation is cooling down",
                message=body,
                from_email=None,
                recipient_list=[email],
            )
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientStepError(f"mail server: {exc}") from exc
        sent += 1
    text = f"Sent privately to {sent} part{'y' if sent == 1 else 'ies'}."
    if without:
        text += f" {without} without a login or email: reach them on the forum."
    return StepStatus.DONE, text


def _step_recheck(inc: Incident, sr: StepRun, config: dict[str, Any]) -> tuple[str, str]:
    cooldowns = list(inc.cooldowns.active().select_related("space"))
    if not cooldowns:
        return StepStatus.DONE, "No active cooldown left to lift."
    verdicts = {
        cd.pk: space_calm(
            space=cd.space,
            target=str(config.get("target") or "0.98"),
            threshold=str(config.get("threshold") or "1"),
            long_minutes=int(config.get("long_minutes") or 60),
            short_minutes=int(config.get("short_minutes") or 5),
        )
        for cd in cooldowns
    }
    if all(v.calm for v in verdicts.values()):
        actor = Actor.system(f"Runbook: {sr.run.runbook.name}")
        for cd in cooldowns:
            _end_cooldown(cd.pk, CooldownEndReason.CALM, actor, inc, note=verdicts[cd.pk].explain())
        return StepStatus.DONE, "Calm: " + "; ".join(
            f"{cd.space.name} {verdicts[cd.pk].explain()}" for cd in cooldowns
        )
    every = int(config.get("every_minutes") or 15)
    sr.due_at = timezone.now() + timedelta(minutes=every)
    worst = next(v for v in verdicts.values() if not v.calm)
    return StepStatus.WAITING, f"{worst.explain()}; re-checking in {every} min."


def _schedule_check_in(step_run_id: int, due: datetime) -> None:
    from incidents.tasks import check_in_due

    try:
        check_in_due.apply_async(args=(step_run_id,), eta=due)
    except Exception:
        logger.warning("could not schedule check-in for step %s", step_run_id)


def record_check_in_due(*, step_run_id: int) -> bool:
    sr = StepRun.objects.select_related("run__incident").filter(pk=step_run_id).first()
    if sr is None or sr.due_at is None:
        return False
    inc = sr.run.incident
    try:
        with transaction.atomic():
            _entry(
                inc,
                TimelineKind.CHECK_IN,
                f"Check-in due: {_facilitator_name(inc)}, how are the parties and the space?",
                Actor.system("reminder"),
                dedupe_key=f"check-in:{sr.pk}",
            )
    except IntegrityError:
        return False
    return True


def retry_waiting_steps() -> int:
    """Re-enqueue re-checks whose time has come (if their scheduled task was lost)."""
    due = StepRun.objects.filter(status=StepStatus.WAITING, due_at__lte=timezone.now())
    ids = list(due.values_list("pk", flat=True))
    for pk in ids:
        _enqueue_step(pk)
    return len(ids)


# --- Reports and detection ------------------------------------------------------------------


def report_heated_space(
    *, community: Community, space: Space, reporter: Membership, message: str
) -> IncidentReport:
    _check_spaces(community, [space])
    if reporter.community_id != community.pk:
        raise ServiceError("Only members of this community can report here.")
    message = message.strip()
    if len(message) > 2000:
        raise ServiceError("Keep the report under 2000 characters.")
    if IncidentReport.objects.open().filter(reporter=reporter, space=space).exists():
        raise ServiceError(f"You already reported {space.name}; the moderators have it. Thank you.")
    return IncidentReport.objects.create(
        community=community,
        source=ReportSource.MEMBER,
        space=space,
        reporter=reporter,
        message=message,
    )


def declare_from_report(
    *, report: IncidentReport, actor: Actor, title: str = "", severity: str = ""
) -> Incident:
    with transaction.atomic():
        rep = IncidentReport.objects.select_for_update().get(pk=report.pk)
        if rep.status != ReportStatus.OPEN:
            raise ServiceError("This report has already been handled.")
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
        rep.status = ReportStatus.DECLARED
        rep.incident = incident
        rep.handled_by = actor.user
        rep.handled_at = timezone.now()
        rep.save(update_fields=["status", "incident", "handled_by", "handled_at"])
        _entry(
            incident,
            TimelineKind.REPORT,
            f"Declared from a {rep.get_source_display().lower()}.",
            actor,
        )
    return incident


def dismiss_report(*, report: IncidentReport, actor: Actor) -> IncidentReport:
    with transaction.atomic():
        rep = IncidentReport.objects.select_for_update().get(pk=report.pk)
        if rep.status != ReportStatus.OPEN:
            raise ServiceError("This report has already been handled.")
        rep.status = ReportStatus.DISMISSED
        rep.handled_by = actor.user
        rep.handled_at = timezone.now()
        rep.save(update_fields=["status", "handled_by", "handled_at"])
    return rep


def handle_clause_alert(event: DomainEvent) -> None:
    """Subscriber for ``clause.alert_fired``: declare a SEV3 incident on the alert's space (or
    suggest one, if the community prefers), unless an open incident already covers it."""
    if event.type != "clause.alert_fired":
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
    text = (
        f"Alert on “{title}” ({payload.get('rule', 'alert')}): burn rate "
        f"{payload.get('burn_rate_long')} over {payload.get('long_window_hours')} h and "
        f"{payload.get('burn_rate_short')} over {payload.get('short_window_hours')} h "
        f"(threshold {payload.get('threshold')}); {payload.get('bad_long')} bad of "
        f"{payload.get('total_long')} events."
    )
    actor = Actor.system("clause alert")
    with transaction.atomic():
        if space is not None:
            existing = Incident.objects.open().filter(community=community, spaces=space).first()
            if existing is not None:
                inc = _locked(existing.pk, None)
                inc.trigger_event_ids = sorted(set(inc.trigger_event_ids) | set(event_ids))
                _save(inc, "trigger_event_ids")
                _entry(inc, TimelineKind.ALERT, text, actor, dedupe_key=key, data=payload)
                return
        settings_ = settings_for(community)
        if space is None or settings_.alert_response == AlertResponse.SUGGEST:
            IncidentReport.objects.create(
                community=community,
                source=ReportSource.CLAUSE_ALERT,
                space=space,
                message=text,
                alert_key=str(event.pk),
                event_ids=event_ids,
            )
            return
        incident = declare_incident(
            community=community,
            title=f"{space.name}: “{title}” is burning fast",
            severity=SevLevel.SEV3,
            spaces=[space],
            summary=text,
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
    if event.type != "forum.action_attempted":
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
    if payload.get("ok"):
        text = f"Forum: {action} done (attempt {attempt})."
    else:
        kind = "permanent" if payload.get("permanent") else "will retry"
        text = (
            f"Forum: {action} failed on attempt {attempt} "
            f"({payload.get('status_code') or 'no answer'}: {payload.get('error') or 'unknown'}; "
            f"{kind})."
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
