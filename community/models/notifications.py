"""In-app notifications: what a person is told, whether they have read it, how it reached them
(each delivery recorded, in the app and by email) and what they asked for.

The spine owns them so that every app can tell someone something through one service
(``community.notifications.notify``) and one notification centre.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models.spine import Community, Membership


class NotificationKind(models.TextChoices):
    FACILITATOR_OFFERED = "facilitator_offered", _("You are asked to facilitate an incident")
    APPEAL_TO_DECIDE = "appeal_to_decide", _("An appeal is waiting for a decision")
    APPEAL_DECIDED = "appeal_decided", _("Your appeal was decided")
    TIER_CHANGED = "tier_changed", _("Your forgiveness budget changed")
    MEMBER_COOLDOWN = "member_cooldown", _("A pause on your posting")
    REPORT_RESOLVED = "report_resolved", _("A conversation you reported has calmed down")
    POSTMORTEM_DUE = "postmortem_due", _("A postmortem is due")
    ACTION_ITEM_REOPENED = "action_item_reopened", _("An action item of yours was reopened")
    CIRCLE_INVITATION = "circle_invitation", _("You are invited to a restorative circle")
    AGREEMENT_DUE = "agreement_due", _("An agreement is due")
    SUMMARY_APPROVAL = "summary_approval", _("A public summary waits for your approval")
    RELEASE_ROLLED_BACK = "release_rolled_back", _("A contract trial was rolled back")


# A notice about a member's own budget, cooldown or appeal is always shown in the app: it is
# about them, it may change what they can do, and they must be able to find it and appeal.
ALWAYS_IN_APP = frozenset(
    {
        NotificationKind.TIER_CHANGED,
        NotificationKind.MEMBER_COOLDOWN,
        NotificationKind.APPEAL_DECIDED,
    }
)
# Who each kind is for (the preferences page shows a person only the kinds that can reach them).
MODERATOR_KINDS = frozenset(
    {
        NotificationKind.FACILITATOR_OFFERED,
        NotificationKind.APPEAL_TO_DECIDE,
        NotificationKind.POSTMORTEM_DUE,
        NotificationKind.RELEASE_ROLLED_BACK,
    }
)


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_recipient(self, membership: Membership) -> NotificationQuerySet:
        """What the centre shows ``membership``: the notices shown in the app."""
        return self.filter(recipient=membership, in_app=True)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One thing one person is told. ``in_app`` is False when they turned the kind off in the
    app (it is then only e-mailed, or only recorded); ``key`` makes a notice idempotent."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True, help_text="A path on this site.")
    key = models.CharField(max_length=120, blank=True, default="")
    in_app = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[NotificationQuerySet] = NotificationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(
                fields=("recipient", "created_at"),
                condition=Q(read_at__isnull=True, in_app=True),
                name="notification_unread",
            ),
            models.Index(fields=("recipient", "in_app", "created_at"), name="notification_centre"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=("key",), condition=~Q(key=""), name="notification_key_once"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("By email")


class DeliveryOutcome(models.TextChoices):
    SHOWN = "shown", _("Shown in the notification centre")
    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Could not be sent yet; will be tried again")
    FAILED = "failed", _("Could not be sent")
    SKIPPED = "skipped", _("Not sent")


class NotificationDelivery(models.Model):
    """How a notification reached (or did not reach) its recipient, one row per channel and
    attempt: an audit of what we told whom, when, and whether it arrived."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    outcome = models.CharField(max_length=10, choices=DeliveryOutcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    # Which try at sending this was (e-mail: 1, 2, ...); 0 for a row that records no try (shown
    # in the app, queued, skipped).
    attempt = models.PositiveSmallIntegerField(default=0)
    # The language the notice was written in for its recipient ("en", "ko"); empty on rows
    # recorded before languages existed.
    language = models.CharField(max_length=10, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "notification deliveries"
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.channel} {self.outcome} for {self.notification_id}"


class PersonalSettings(models.Model):
    """What a person chose for themselves, in every community they belong to: their language.
    No row (or an empty ``language``) means they chose none (community.language decides)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_settings"
    )
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True, default="")

    class Meta:
        verbose_name_plural = "personal settings"

    def __str__(self) -> str:
        return f"settings of {self.user_id}"


class NotificationPreference(models.Model):
    """A person's choice for one kind of notice in one community. No row means the default:
    shown in the app and e-mailed."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("membership", "kind"), name="notification_pref_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.membership_id}"
