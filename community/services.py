"""State changes of the spine. Views, the API, tasks and commands all call these."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from community.domain_events import conduct_events_recorded
from community.event_insert import PreparedEvents
from community.models import (
    ApiKey,
    ApiKeyScope,
    Community,
    ConductEvent,
    ExternalIdentity,
    Heartbeat,
    Membership,
    Role,
    Space,
    SpaceKind,
    Visibility,
)
from community.vocabulary import FRICTION_KINDS

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """A request the domain refuses; the message is safe to show to the person who asked."""


class ConflictError(ServiceError):
    """The object changed since the caller last read it (the API answers 409)."""


# --- Communities and members ----------------------------------------------------------------


@transaction.atomic
def create_community(
    *,
    slug: str,
    name: str,
    visibility: str = Visibility.PUBLIC,
    description: str = "",
    moderator: User | None = None,
) -> Community:
    if Community.objects.filter(slug=slug).exists():
        raise ServiceError(f"A community with the address “{slug}” already exists.")
    community = Community.objects.create(
        slug=slug, name=name, visibility=visibility, description=description
    )
    if moderator is not None:
        set_role(community=community, user=moderator, role=Role.ADMIN)
    return community


def set_role(*, community: Community, user: User, role: str) -> Membership:
    if role not in Role.values:
        raise ServiceError(f"Unknown role “{role}”.")
    membership, created = Membership.objects.get_or_create(
        community=community,
        user=user,
        defaults={"display_name": user.get_username(), "role": role},
    )
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def join_community(*, community: Community, user: User) -> Membership:
    """A person with a login joins a public community as a member (idempotent)."""
    existing = Membership.objects.filter(community=community, user=user).first()
    if existing is not None:
        return existing
    if not community.is_public:
        raise ServiceError("This community is members-only: a moderator can add you.")
    return set_role(community=community, user=user, role=Role.MEMBER)


@transaction.atomic
def change_role(*, community: Community, username: str, role: str) -> Membership:
    """Give an existing user a role here. The last admin cannot be demoted, so a community is
    never left without someone who can manage it."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ServiceError(f"No account is called “{username}”.")
    current = Membership.objects.select_for_update().filter(community=community, user=user).first()
    if current is not None and current.role == Role.ADMIN and role != Role.ADMIN:
        admins = Membership.objects.select_for_update().filter(community=community, role=Role.ADMIN)
        if admins.count() <= 1:
            raise ServiceError("A community needs at least one admin: name another admin first.")
    return set_role(community=community, user=user, role=role)


# --- API keys -------------------------------------------------------------------------------


def create_api_key(
    *, community: Community, name: str, scopes: Iterable[str], by: User | None
) -> tuple[ApiKey, str]:
    """Create a key and return it with the full secret, which is never stored or shown again."""
    scope_list = sorted(set(scopes))
    unknown = [s for s in scope_list if s not in ApiKeyScope.values]
    if unknown:
        raise ServiceError(
            f"Unknown scope(s): {', '.join(unknown)}. Use {', '.join(ApiKeyScope.values)}."
        )
    if not scope_list:
        raise ServiceError("A key needs at least one scope.")
    if not name.strip():
        raise ServiceError("Give the key a name so you can recognise it later.")
    full, lookup, key_hash = ApiKey.generate()
    key = ApiKey.objects.create(
        community=community,
        name=name.strip(),
        lookup=lookup,
        key_hash=key_hash,
        scopes=scope_list,
        created_by=by if by is not None and by.is_authenticated else None,
    )
    return key, full


def revoke_api_key(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


# --- Conduct events -------------------------------------------------------------------------


@dataclass(frozen=True)
class EventInput:
    """One conduct event as a forum or bot reports it (already validated)."""

    external_id: str
    kind: str
    occurred_at: datetime
    member_external_id: str = ""
    member_username: str = ""
    space_external_id: str = ""
    space_name: str = ""
    space_kind: str = SpaceKind.CATEGORY
    subject: str = ""
    category: str = ""
    severity: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    # Only replays and backfills set this; live ingest records the time we learned of the event.
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    events: list[ConductEvent]


def lock_community(community: Community) -> None:
    """Serialise writers of one community's forum-derived rows (events, identities, spaces)
    until the transaction ends. Call it first in the transaction: the community row is the
    first lock every such path takes, so they cannot deadlock with each other.

    FOR NO KEY UPDATE, not FOR UPDATE: rows that merely reference the community (a
    recalculation's budget upserts, while it holds dirty-member rows that ingest re-marks)
    take FOR KEY SHARE on it, which a full row lock would block: a lock-order deadlock.
    """
    Community.objects.select_for_update(no_key=True).filter(pk=community.pk).first()


def ingest_events(
    *,
    community: Community,
    events: Sequence[EventInput],
    source: str = "api",
    imported: bool = False,
) -> IngestResult:
    """Store new conduct events, idempotently on (community, source, external_id).

    ``imported``: the events come from outside (the batch API, ``replay_discourse``), so any
    whose ``recorded_at`` lies well before now is imported history, which never pages anyone
    now (docs/replay.md); receivers of ``conduct_events_recorded`` are told.

    Members and spaces named by forum ids are created on first sight. Friction events without a
    severity take the community's default for their category. Everything happens in one
    transaction, serialised per community, so a retried batch never stores a row twice.
    """
    if not events:
        return IngestResult(accepted=0, duplicates=0, events=[])
    seen: set[str] = set()
    unique: list[EventInput] = []
    for item in events:
        if item.external_id not in seen:
            seen.add(item.external_id)
            unique.append(item)
    # Built before the lock: only what is new, and who the members are, needs it.
    now = timezone.now()
    prepared = PreparedEvents(
        [
            ConductEvent(
                community=community,
                kind=item.kind,
                category=item.category,
                severity=_severity(community, item),
                subject=item.subject,
                occurred_at=item.occurred_at,
                recorded_at=item.recorded_at or now,
                source=source,
                external_id=item.external_id,
                payload=item.payload,
            )
            for item in unique
        ]
    )
    with transaction.atomic():
        # Serialise ingest per community: the "what is new" decision below is then exact.
        lock_community(community)
        existing = set(
            ConductEvent.objects.filter(
                community=community, source=source, external_id__in=seen
            ).values_list("external_id", flat=True)
        )
        keep = [i for i, item in enumerate(unique) if item.external_id not in existing]
        fresh = [unique[i] for i in keep]
        members = _members_by_external_id(community, source, fresh)
        spaces = _spaces_by_external_id(community, source, fresh)
        for i, item in zip(keep, fresh, strict=True):
            row = prepared.rows[i]
            row.member = members.get(item.member_external_id)
            row.space = spaces.get(item.space_external_id)
        created = prepared.insert(keep)
        if created:
            conduct_events_recorded.send(
                sender=ConductEvent, community=community, events=created, imported=imported
            )
    return IngestResult(
        accepted=len(created), duplicates=len(events) - len(created), events=created
    )


def _severity(community: Community, item: EventInput) -> str:
    if item.severity:
        return item.severity
    if item.kind in FRICTION_KINDS:
        return community.severity_for(item.category)
    return ""


def _members_by_external_id(
    community: Community, source: str, items: Sequence[EventInput]
) -> dict[str, Membership]:
    wanted = {i.member_external_id: i.member_username for i in items if i.member_external_id}
    return _upsert_identities(community, source, wanted)  # ingest holds the community lock


def upsert_identities(
    *, community: Community, source: str, identities: dict[str, str]
) -> dict[str, Membership]:
    """Map forum accounts (external id -> username) to memberships, creating any not yet seen.

    A member seen only on the forum gets a membership without a login until they claim it.
    Usernames are refreshed when the forum reports a new one.
    """
    if not identities:
        return {}
    with transaction.atomic():
        # Two identical upserts at once would both see the identity missing and both insert.
        lock_community(community)
        return _upsert_identities(community, source, identities)


def _upsert_identities(
    community: Community, source: str, identities: dict[str, str]
) -> dict[str, Membership]:
    found = {
        ident.external_id: ident
        for ident in ExternalIdentity.objects.filter(
            community=community, source=source, external_id__in=identities
        ).select_related("membership")
    }
    renamed = [
        ident
        for ext_id, ident in found.items()
        if identities[ext_id] and ident.username != identities[ext_id]
    ]
    for ident in renamed:
        ident.username = identities[ident.external_id]
    if renamed:
        ExternalIdentity.objects.bulk_update(renamed, ["username"])
    missing = [ext_id for ext_id in identities if ext_id not in found]
    if missing:
        now = timezone.now()
        memberships = Membership.objects.bulk_create(
            [
                Membership(
                    community=community,
                    display_name=identities[ext_id] or f"{source} user {ext_id}",
                    joined_at=now,
                )
                for ext_id in missing
            ]
        )
        new_identities = ExternalIdentity.objects.bulk_create(
            [
                ExternalIdentity(
                    community=community,
                    membership=membership,
                    source=source,
                    external_id=ext_id,
                    username=identities[ext_id],
                )
                for ext_id, membership in zip(missing, memberships, strict=True)
            ]
        )
        for ident, membership in zip(new_identities, memberships, strict=True):
            ident.membership = membership
            found[ident.external_id] = ident
    return {ext_id: ident.membership for ext_id, ident in found.items()}


def _spaces_by_external_id(
    community: Community, source: str, items: Sequence[EventInput]
) -> dict[str, Space]:
    wanted: dict[str, tuple[str, str]] = {}
    for item in items:
        if item.space_external_id:
            wanted[item.space_external_id] = (item.space_name, item.space_kind)
    return _upsert_spaces(community, source, wanted)  # ingest holds the community lock


def upsert_spaces(
    *, community: Community, source: str, spaces: dict[str, tuple[str, str]]
) -> dict[str, Space]:
    """Map forum spaces (external id -> (name, kind)) to Space rows, creating new ones."""
    if not spaces:
        return {}
    with transaction.atomic():
        lock_community(community)  # as for identities: concurrent upserts insert once
        return _upsert_spaces(community, source, spaces)


def _upsert_spaces(
    community: Community, source: str, spaces: dict[str, tuple[str, str]]
) -> dict[str, Space]:
    found = {
        space.external_id: space
        for space in Space.objects.filter(
            community=community, source=source, external_id__in=spaces
        )
    }
    renamed = []
    for ext_id, space in found.items():
        name = spaces[ext_id][0]
        if name and space.name != name:
            space.name = name
            renamed.append(space)
    if renamed:
        Space.objects.bulk_update(renamed, ["name"])
    missing = [ext_id for ext_id in spaces if ext_id not in found]
    if missing:
        created = Space.objects.bulk_create(
            [
                Space(
                    community=community,
                    source=source,
                    external_id=ext_id,
                    name=spaces[ext_id][0] or f"{source} space {ext_id}",
                    kind=spaces[ext_id][1] or SpaceKind.CATEGORY,
                )
                for ext_id in missing
            ]
        )
        found.update({space.external_id: space for space in created})
    return found


# --- Operations -----------------------------------------------------------------------------


def record_heartbeat(*, name: str) -> Heartbeat:
    beat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})
    return beat
