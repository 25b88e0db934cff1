"""The Discourse connection, its inbound deliveries and the actions we take on the forum.

Inbound Discourse deliveries are stored raw (headers and body) before anything else happens, so a
delivery that arrived is never lost, even when the broker is down; a Celery task (or the periodic
sweep) turns them into conduct events. Forum actions are outbound calls (``OutboundCall``), with
every attempt logged beside them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Community, Membership, Space
from community.vocabulary import Severity
from integrations.models.outbound import OutboundAttempt, OutboundCall
from integrations.retry import AttemptResult, Verdict

SOURCE = "discourse"
MIN_SECRET_LENGTH = 12  # Discourse refuses shorter webhook secrets

# Discourse flag types (PostActionType names) and the severity each maps to by default. Anything
# else (custom flags, notify_moderators) is "moderate".
DEFAULT_FLAG_SEVERITIES: dict[str, str] = {
    "off_topic": Severity.MINOR,
    "inappropriate": Severity.MODERATE,
    "spam": Severity.MODERATE,
    "illegal": Severity.SEVERE,
    "custom": Severity.MODERATE,
}


def default_flag_severities() -> dict[str, str]:
    return dict(DEFAULT_FLAG_SEVERITIES)


class DiscourseConnection(models.Model):
    """One community's Discourse forum. The primary key is random and is the secret-free part of
    the webhook address (``/integrations/discourse/<id>/``); the webhook secret signs bodies."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, related_name="discourse_connection"
    )
    base_url = models.URLField(help_text="The forum's address, e.g. https://forum.example.org")
    webhook_secret = models.CharField(max_length=200)
    api_key = models.CharField(max_length=200, blank=True)
    api_username = models.CharField(max_length=100, blank=True)
    category_spaces = models.JSONField(
        default=dict, blank=True, help_text="Discourse category id -> Space id in this community."
    )
    flag_severities = models.JSONField(default=default_flag_severities, blank=True)
    include_private_messages = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True, blank=True)
    last_test_message = models.CharField(max_length=300, blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Discourse {self.base_url} for {self.community_id}"

    @property
    def can_act(self) -> bool:
        return bool(self.api_key and self.api_username)

    def severity_for_flag(self, flag_type: str) -> str:
        mapping = self.flag_severities or {}
        value = mapping.get(flag_type) or mapping.get("custom") or Severity.MODERATE
        return value if value in Severity.values else Severity.MODERATE


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be processed")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Stored, nothing to do")
    FAILED = "failed", _("Failed (will be tried again)")
    DEAD_LETTER = "dead_letter", _("Set aside after repeated failures")


class InboundDeliveryQuerySet(models.QuerySet["InboundDelivery"]):
    def pending(self) -> InboundDeliveryQuerySet:
        """Deliveries still to be processed (dead letters wait for a moderator instead)."""
        return self.filter(status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED))

    def fresh(self, *, received_before: datetime | None = None) -> InboundDeliveryQuerySet:
        """Never tried yet, oldest first (so a post is known before the flag on it)."""
        rows = self.filter(status=DeliveryStatus.PENDING)
        if received_before is not None:
            rows = rows.filter(received_at__lte=received_before)
        return rows.order_by("received_at", "pk")

    def due_retries(self, *, now: datetime) -> InboundDeliveryQuerySet:
        """Failed before and due for another attempt, the longest-waiting first."""
        return self.filter(status=DeliveryStatus.FAILED, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "pk"
        )

    def dead_letters(self) -> InboundDeliveryQuerySet:
        return self.filter(status=DeliveryStatus.DEAD_LETTER).order_by("-received_at", "-pk")


class InboundDelivery(models.Model):
    """A verified Discourse webhook delivery, stored raw before it is processed.

    Unique on the forum's event id *and* on its content key (event name, object id, version),
    because Discourse's automatic retries carry a new event id.

    Every attempt to process it is counted, whether it ends in an error or not. A failed attempt
    is tried again after a growing pause (the first at the next sweep, then 1, 2, 4, ... minutes);
    after ``MAX_ATTEMPTS`` it is a *dead letter*: set aside with its reason in ``note`` until a
    moderator chooses *Try again*, so it can never hold up newer deliveries.
    """

    MAX_ATTEMPTS = 8
    RETRY_BACKOFF_BASE_SECONDS = 60.0

    connection = models.ForeignKey(
        DiscourseConnection, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=64, blank=True)
    event_name = models.CharField(max_length=80)
    event_type = models.CharField(max_length=40, blank=True)
    content_key = models.CharField(max_length=200)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    objects: ClassVar[InboundDeliveryQuerySet] = InboundDeliveryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-received_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("connection", "event_id"),
                condition=~Q(event_id=""),
                name="inbound_unique_event_id",
            ),
            models.UniqueConstraint(
                fields=("connection", "content_key"), name="inbound_unique_content"
            ),
        ]
        indexes = [
            models.Index(
                fields=("received_at",), condition=Q(status="pending"), name="inbound_fresh"
            ),
            models.Index(
                fields=("next_attempt_at",), condition=Q(status="failed"), name="inbound_retry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} #{self.event_id or '-'} ({self.status})"


class ForumActionKind(models.TextChoices):
    SLOW_MODE = "slow_mode", _("Slow mode on")
    LIFT_SLOW_MODE = "lift_slow_mode", _("Slow mode off")
    CLOSE_TOPIC = "close_topic", _("Topic closed (read-only)")
    REOPEN_TOPIC = "reopen_topic", _("Topic reopened")
    REOPEN_TIMER = "reopen_timer", _("Reopen timer set")
    POST_NOTICE = "post_notice", _("Notice posted")
    SILENCE = "silence", _("Member's posting paused (timed silence)")
    UNSILENCE = "unsilence", _("Member's pause lifted early")


class ActionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Retrying")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed (permanent)")
    GAVE_UP = "gave_up", _("Gave up after retries")
    SKIPPED = "skipped", _("Not applied")


class ForumAction(OutboundCall):
    """One call we make to the forum because of a domain event (a cooldown, a notice)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(
        DiscourseConnection, on_delete=models.SET_NULL, null=True, related_name="actions"
    )
    domain_event_id = models.UUIDField()
    action = models.CharField(max_length=20, choices=ForumActionKind.choices)
    space = models.ForeignKey(Space, on_delete=models.SET_NULL, null=True, related_name="+")
    topic_id = models.CharField(max_length=40, blank=True)
    method = models.CharField(max_length=6)
    path = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict)
    incident_id = models.CharField(max_length=40, blank=True)
    cooldown_id = models.CharField(max_length=40, blank=True)
    notice_id = models.CharField(max_length=40, blank=True)
    # A member's pause (budgets' MemberCooldown id), whose it is and their forum account.
    member_cooldown_id = models.CharField(max_length=40, blank=True)
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    forum_user_id = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        max_length=10, choices=ActionStatus.choices, default=ActionStatus.PENDING
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    PENDING = ActionStatus.PENDING
    RETRYING = ActionStatus.RETRYING
    SUCCEEDED = ActionStatus.SUCCEEDED
    FAILED = ActionStatus.FAILED
    GAVE_UP = ActionStatus.GAVE_UP
    MAX_ATTEMPTS = 6
    ATTEMPT_TASK = "integrations.perform_forum_action"

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("domain_event_id", "action"), name="forum_action_once_per_event"
            ),
            # One silence and one lift per member pause, whichever event asks again.
            models.UniqueConstraint(
                fields=("member_cooldown_id", "action"),
                condition=~Q(member_cooldown_id=""),
                name="forum_action_once_per_member_pause",
            ),
        ]

    def __str__(self) -> str:
        if self.member_cooldown_id:
            return f"{self.action} user {self.forum_user_id or '-'} ({self.status})"
        return f"{self.action} topic {self.topic_id or '-'} ({self.status})"

    def finish(self, *, now: datetime, verdict: Verdict) -> None:
        self.finished_at = now

    def log_attempt(self, result: AttemptResult, *, at: datetime) -> None:
        ForumActionAttempt.objects.create(
            forum_action=self,
            number=self.attempts,
            at=at,
            ok=result.ok,
            status_code=result.status_code,
            error=result.error[:500],
            permanent=result.permanent,
        )


class ForumActionAttempt(OutboundAttempt):
    forum_action = models.ForeignKey(ForumAction, on_delete=models.CASCADE, related_name="tries")
    ok = models.BooleanField()
    permanent = models.BooleanField(default=False)

    class Meta:
        ordering = ("forum_action", "number")

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.forum_action_id}: {self.status_code}"
