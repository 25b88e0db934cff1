"""The spine: communities, members and roles, spaces, forum identities, conduct events,
API keys and the domain-event outbox."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.vocabulary import (
    DEFAULT_SEVERITY,
    REVERSING_KINDS,
    EventKind,
    Severity,
    default_category_severities,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from django.contrib.auth.models import User


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public: anyone can read the contract and status page")
    MEMBERS = "members", _("Members only")


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    MODERATOR = "moderator", _("Moderator")
    ADMIN = "admin", _("Admin")


MODERATING_ROLES = (Role.MODERATOR, Role.ADMIN)


class Community(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    category_severities = models.JSONField(
        default=default_category_severities,
        help_text="Default severity per flag category for friction events that carry none.",
    )
    # The language of members who chose none (community.language); visitors' browsers only where
    # the community allows it.
    default_language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    allow_browser_language = models.BooleanField(
        default=False,
        help_text="Who chose no language reads their browser's, when we have it.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "communities"
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community:home", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    def severity_for(self, category: str) -> str:
        value = (self.category_severities or {}).get(category)
        return value if value in Severity.values else DEFAULT_SEVERITY


class MembershipQuerySet(models.QuerySet["Membership"]):
    def moderators(self) -> MembershipQuerySet:
        return self.filter(role__in=MODERATING_ROLES)

    def for_user(self, user: User) -> MembershipQuerySet:
        return self.filter(user=user)


class Membership(models.Model):
    """A person's place in one community. A member seen only on the forum has no login
    (``user`` is empty) until they claim their forum identity."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
    )
    display_name = models.CharField(max_length=150)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[MembershipQuerySet] = MembershipQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("display_name",)
        constraints = [
            models.UniqueConstraint(
                fields=("community", "user"),
                condition=Q(user__isnull=False),
                name="membership_one_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} in {self.community_id}"

    @property
    def is_moderator(self) -> bool:
        return self.role in MODERATING_ROLES


class SpaceKind(models.TextChoices):
    CATEGORY = "category", _("Category")
    TOPIC = "topic", _("Topic")
    CHANNEL = "channel", _("Channel")


class Space(models.Model):
    """Where conversation happens: a forum category, a topic or a chat channel. SLIs and
    cooldowns are scoped to spaces so that one heated thread does not slow a whole community."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="spaces")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=SpaceKind.choices, default=SpaceKind.CATEGORY)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    source = models.CharField(max_length=40, default="manual")
    external_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(
                fields=("community", "source", "external_id"),
                condition=~Q(external_id=""),
                name="space_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ExternalIdentity(models.Model):
    """A forum account (source + the forum's user id), mapped to a membership."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="identities")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="identities")
    source = models.CharField(max_length=40)
    external_id = models.CharField(max_length=100)
    username = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(
                fields=("community", "source", "external_id"), name="identity_unique_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.username or self.external_id}"


class ConductEventQuerySet(models.QuerySet["ConductEvent"]):
    def in_window(self, start: object, end: object) -> ConductEventQuerySet:
        """Events whose behaviour happened in (start, end]."""
        return self.filter(occurred_at__gt=start, occurred_at__lte=end)


class ConductEvent(models.Model):
    """One thing that happened in a community, as the forum told us. Append-only.

    ``occurred_at`` is when the behaviour happened (the post); ``recorded_at`` is when we learned
    of it. Idempotent on (community, source, external_id).
    """

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    category = models.CharField(max_length=60, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    member = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    space = models.ForeignKey(
        Space, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    subject = models.CharField(max_length=100, blank=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=40, default="api")
    external_id = models.CharField(max_length=200)
    payload = models.JSONField(default=dict, blank=True)

    objects: ClassVar[ConductEventQuerySet] = ConductEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-occurred_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("community", "source", "external_id"), name="event_unique_external_id"
            )
        ]
        indexes = [
            models.Index(fields=("community", "kind", "occurred_at"), name="event_comm_kind_occ"),
            models.Index(fields=("community", "recorded_at"), name="event_comm_recorded"),
            # Covering (kind, community): a member's activity in a window is an index-only scan
            # for the incremental recalculation of budgets.
            models.Index(
                fields=("member", "occurred_at"),
                include=("kind", "community"),
                name="event_member_occ",
            ),
            models.Index(fields=("space", "occurred_at"), name="event_space_occ"),
            models.Index(fields=("community", "subject"), name="event_comm_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.source}:{self.external_id}"


def bad_event_q(kinds: Iterable[str], *, community_id: int, as_of: datetime) -> Q:
    """The one definition of a bad event: an event of one of ``kinds`` that no reversing event
    recorded by ``as_of`` cancels (a flag upheld, then rejected on the same ``subject``, stops
    counting as bad, as it stops counting as a charge). Clause SLIs, their alerts and the calm
    check of a cooldown all count with it.

    A ``Q``, so it filters rows and conditional counts alike. The reversal test is one
    uncorrelated subquery (hashed once by the database), not a per-row EXISTS: that kept the
    clause aggregate 15 times faster on the demo data."""
    kinds = list(kinds)
    bad = Q(kind__in=kinds)
    reversers = [k for k, undone in REVERSING_KINDS.items() if undone in kinds]
    if reversers:
        reversed_subjects = (
            ConductEvent.objects.filter(
                community_id=community_id, kind__in=reversers, recorded_at__lte=as_of
            )
            .exclude(subject="")
            .values("subject")
        )
        bad &= ~(
            Q(kind__in=[REVERSING_KINDS[k] for k in reversers]) & Q(subject__in=reversed_subjects)
        )
    return bad


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read the contract, budgets and incidents"
    EVENTS_WRITE = "events:write", "Send conduct events and identities"
    MODERATE = "moderate", "Moderator actions (charges, incidents, cooldowns, contract)"


API_KEY_PREFIX = "csre"


def hash_api_key(secret: str) -> str:
    # Keys are 256-bit random strings, so a fast hash is enough; a slow KDF adds nothing here.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A per-community API key. Only its hash is stored; the key is shown once, at creation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    lookup = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ApiKeyQuerySet] = ApiKeyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({API_KEY_PREFIX}_{self.lookup}…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """A new key as (full key, lookup, hash). The full key is never stored."""
        lookup = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        full = f"{API_KEY_PREFIX}_{lookup}_{secret}"
        return full, lookup, hash_api_key(full)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class DomainEventType(models.TextChoices):
    """Every kind of domain event the apps record (docs/domain-events.md). One list, owned by the
    spine, so a subscriber, a webhook subscription and the recorder agree on the names."""

    CONTRACT_PUBLISHED = "contract.published", "A contract version was published"
    CLAUSE_ALERT_FIRED = "clause.alert_fired", "A clause alert fired"
    CLAUSE_ALERT_CLEARED = "clause.alert_cleared", "A clause alert cleared"
    BUDGET_TIER_CHANGED = "budget.tier_changed", "A member's budget tier changed"
    BUDGET_MEMBER_COOLDOWN = "budget.member_cooldown", "A member cooldown was recorded"
    BUDGET_MEMBER_COOLDOWN_LIFTED = (
        "budget.member_cooldown_lifted",
        "A member cooldown was lifted early",
    )
    INCIDENT_DECLARED = "incident.declared", "An incident was declared"
    INCIDENT_UPDATED = "incident.updated", "An incident changed"
    COOLDOWN_STARTED = "cooldown.started", "A cooldown started"
    COOLDOWN_EXTENDED = "cooldown.extended", "A cooldown was extended"
    COOLDOWN_ENDED = "cooldown.ended", "A cooldown ended"
    NOTICE_REQUESTED = "notice.requested", "A notice was requested on the forum"
    FORUM_ACTION_ATTEMPTED = "forum.action_attempted", "A call to the forum was attempted"


class DomainEvent(models.Model):
    """The transactional outbox. A service records one in the same transaction as its change;
    Celery hands it to subscribers (outbound webhooks, the forum adapter) after commit, so a
    change is never lost and never announced without having happened."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="domain_events")
    type = models.CharField(max_length=60, choices=DomainEventType.choices)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at",)
        indexes = [
            models.Index(
                fields=("created_at",),
                condition=Q(dispatched_at__isnull=True),
                name="domainevent_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} @ {self.created_at:%Y-%m-%d %H:%M}"


class Heartbeat(models.Model):
    """The last time a named background process proved it was alive (see community.heartbeat)."""

    name = models.CharField(max_length=60, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
