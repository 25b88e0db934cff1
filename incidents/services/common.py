"""Shared pieces of the incident services: errors, the actor, domain-event payloads and the
locking/versioning helpers.

Concurrency: every change to an incident locks its row and bumps ``Incident.version``. A change
a person makes from a page (or an API client from a read) passes the version it saw as
``expected_version``; if someone else changed the incident meanwhile, ``StaleIncident`` says so
and nothing changes. Background work (runbook steps, expiring cooldowns) passes ``None``: it
acts on the latest state but still bumps the version, so a page that acted on older state is
told to reload.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from community.domain_events import record_domain_event, space_payload
from community.language import in_community_language
from community.models import Community, DomainEventType, Membership, Space
from community.services import ConflictError, ServiceError
from incidents.models import (
    Cooldown,
    CooldownMode,
    Incident,
    IncidentSettings,
    TimelineEntry,
)

logger = logging.getLogger(__name__)

MAX_SLOW_MODE_SECONDS = 6 * 3600


class StaleIncident(ConflictError):
    """Someone else changed the incident since the caller last looked."""


class StepFailed(Exception):
    """A runbook step failed for a reason retrying will not fix."""


class TransientStepError(Exception):
    """A runbook step failed for a reason that may pass (mail server down, lock timeout).

    ``sent_to`` names the parties a step already reached before it failed (their messages went
    out and cannot be taken back), so that its retry does not reach them twice."""

    def __init__(self, message: str, *, sent_to: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.sent_to = sent_to


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
    found, _created = IncidentSettings.objects.get_or_create(community=community)
    return found


def _locked(incident_id: int, expected_version: int | None) -> Incident:
    incident = (
        Incident.objects.select_for_update().select_related("community").filter(pk=incident_id)
    ).first()
    if incident is None:
        raise ServiceError(_("That incident no longer exists."))
    if expected_version is not None and incident.version != expected_version:
        raise StaleIncident(
            _(
                "Someone else changed this incident while you were looking at it. "
                "Reload to see their change, then try again if it is still needed."
            )
        )
    return incident


def _save(incident: Incident, *fields: str) -> None:
    """Write ``fields`` and bump the version, guarded by the version we hold."""
    values = {name: getattr(incident, name) for name in fields}
    updated = Incident.objects.filter(pk=incident.pk, version=incident.version).update(
        **values, version=incident.version + 1
    )
    if updated != 1:
        raise StaleIncident(_("Someone else changed this incident at the same moment. Reload."))
    incident.version += 1


def _entry(
    incident: Incident,
    kind: str,
    text: str | Callable[[], object],
    actor: Actor,
    *,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> TimelineEntry:
    """Store a timeline entry. The system's words come as ``text``, a function built with
    gettext: they are written once, when stored, in the community's default language (people's
    names, titles and other community words go in as placeholders, unchanged). A plain string
    is stored as given (a person's note, an already written line)."""
    if callable(text):
        text = in_community_language(incident.community, text)
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
            raise ServiceError(
                _("“%(name)s” is a space of another community.") % {"name": space.name}
            )
    return result


def _check_members(community: Community, members: Iterable[Membership]) -> list[Membership]:
    result = list(members)
    for m in result:
        if m.community_id != community.pk:
            raise ServiceError(
                _("%(display_name)s is not a member of this community.")
                % {"display_name": m.display_name}
            )
    return result


def _updated_event(incident: Incident, changes: dict[str, Any]) -> None:
    record_domain_event(
        community=incident.community,
        type=DomainEventType.INCIDENT_UPDATED,
        payload={**incident_payload(incident), "changes": changes},
    )
