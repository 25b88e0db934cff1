"""Where a game day's recording comes from: a sample shipped with the app (a JSON file in
``recordings/``), a past incident of the community (its spaces' events from its declaration
to its resolution) or any past period of its history (in one space or everywhere). Members and
spaces are renamed ("Member 1", "Space 1") so a rehearsal never replays a real person's name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from community.models import Community, ConductEvent, Space
from community.services import ServiceError
from incidents.models import Incident, IncidentStatus

SAMPLES_DIR = Path(__file__).parent / "recordings"
MAX_PERIOD_DAYS = 7
MAX_EVENTS = 5000
NO_INCIDENT = "There is no such incident in this community."
NOT_RESOLVED = "Only a resolved incident can be replayed."
EMPTY_PERIOD = "That period has no recorded events to replay."
FIELDS = ("kind", "member", "space", "category", "severity", "subject")


@dataclass(frozen=True)
class Recording:
    key: str
    title: str
    kind: str  # RecordingKind
    events: list[dict[str, Any]]

    @property
    def recorded_seconds(self) -> float:
        return self.events[-1]["at"] if self.events else 0.0


def sample_keys() -> list[str]:
    return sorted(p.stem for p in SAMPLES_DIR.glob("*.json"))


def load_sample(key: str) -> Recording:
    if key not in sample_keys():
        raise ServiceError("There is no such sample recording.")
    data = json.loads((SAMPLES_DIR / f"{key}.json").read_text())
    events = sorted(data["events"], key=lambda e: e["at"])
    return Recording(key=f"sample:{key}", title=data["title"], kind="sample", events=events)


def sample_title(key: str) -> str:
    return str(json.loads((SAMPLES_DIR / f"{key}.json").read_text())["title"])


def from_incident(incident: Incident) -> Recording:
    """The events of the incident's spaces while it was open, as offsets from the first."""
    end = incident.resolved_at or incident.closed_at
    if end is None:
        raise ServiceError(NOT_RESOLVED)
    try:
        return _record(
            community_id=incident.community_id,
            start=incident.declared_at,
            end=end,
            spaces=list(incident.spaces.all()),
            key=f"incident:{incident.pk}",
            title=incident.title,
            kind="incident",
        )
    except ServiceError as error:
        if str(error) == EMPTY_PERIOD:
            raise ServiceError("That incident has no recorded events to replay.") from None
        raise


def from_period(
    *, community: Community, start: datetime, end: datetime, space: Space | None = None
) -> Recording:
    """Any past period of the community's history (at most ``MAX_PERIOD_DAYS`` days and
    ``MAX_EVENTS`` events), in one space or everywhere."""
    if end <= start:
        raise ServiceError("The period must end after it starts.")
    if end > timezone.now():
        raise ServiceError("Choose a period that is over: a recording replays the past.")
    if end - start > timedelta(days=MAX_PERIOD_DAYS):
        raise ServiceError(f"A recording covers at most {MAX_PERIOD_DAYS} days.")
    if space is not None and space.community_id != community.pk:
        raise ServiceError("There is no such space in this community.")
    where = f" in {space.name}" if space is not None else ""
    return _record(
        community_id=community.pk,
        start=start,
        end=end,
        spaces=[space] if space is not None else [],
        key=f"period:{start.isoformat()}/{end.isoformat()}",
        title=f"{community.name}{where}, {start:%d %b %Y %H:%M} to {end:%d %b %Y %H:%M}",
        kind="period",
    )


def _record(
    *,
    community_id: int,
    start: datetime,
    end: datetime,
    spaces: list[Space],
    key: str,
    title: str,
    kind: str,
) -> Recording:
    """The events between ``start`` and ``end`` (in ``spaces`` if any), as offsets from the
    first, members and spaces renamed in order of appearance."""
    rows = ConductEvent.objects.filter(
        community=community_id, occurred_at__gte=start, occurred_at__lte=end
    )
    if spaces:
        rows = rows.filter(space__in=spaces)
    count = rows.count()
    if count > MAX_EVENTS:
        raise ServiceError(
            f"That period holds {count:,} events; choose a shorter one (at most {MAX_EVENTS:,})."
        )
    members: dict[int | None, str] = {}
    names: dict[int | None, str] = {}
    events: list[dict[str, Any]] = []
    first = None
    for row in rows.order_by("occurred_at", "pk"):
        first = first or row.occurred_at
        member = members.setdefault(row.member_id, f"Member {len(members) + 1}")
        space = names.setdefault(row.space_id, f"Space {len(names) + 1}")
        events.append(
            {
                "at": (row.occurred_at - first).total_seconds(),
                "kind": row.kind,
                "member": member,
                "space": space,
                "category": row.category,
                "severity": row.severity,
                "subject": f"post-{row.pk}" if row.subject else "",
            }
        )
    if not events:
        raise ServiceError(EMPTY_PERIOD)
    return Recording(key=key, title=title[:200], kind=kind, events=events)


def recording_incidents(community: Community) -> Any:
    """The community's past incidents a game day can replay (resolved or closed, newest first)."""
    return Incident.objects.for_community(community).filter(
        status__in=(IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
    )


def choose_recording(*, community: Community, choice: str) -> Recording:
    """The recording named ``sample:<key>`` or ``incident:<id>`` (an incident of ``community``
    only), for the start form and the API alike."""
    kind, _, key = choice.partition(":")
    if kind == "sample":
        return load_sample(key)
    if kind == "incident" and key.isdigit() and len(key) < 19:
        incident = Incident.objects.for_community(community).filter(pk=int(key)).first()
        if incident is None:
            raise ServiceError(NO_INCIDENT)
        if incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            raise ServiceError(NOT_RESOLVED)
        return from_incident(incident)
    raise ServiceError("Choose a sample recording or a past incident of this community.")
