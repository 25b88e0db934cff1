"""The ledger: charges, the entries that release them (forgiveness), and appeals.

Append-only. A charge is never edited or deleted: when it stops counting (reversed on appeal,
its flag rejected on review, moderator grace, a restorative agreement kept) that is recorded as
its own Forgiveness entry with who, when and why. At most one per charge (a unique key).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Community, ConductEvent, Membership
from community.vocabulary import EventKind, Severity


class ChargeQuerySet(models.QuerySet["Charge"]):
    def active(self) -> ChargeQuerySet:
        return self.filter(forgiveness__isnull=True)

    def in_window(self, start: datetime, end: datetime) -> ChargeQuerySet:
        """Charges for behaviour in (start, end]."""
        return self.filter(occurred_at__gt=start, occurred_at__lte=end)


class Charge(models.Model):
    """Friction charged to a member's budget: one per friction event (or a moderator's charge)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="charges")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="charges")
    event = models.OneToOneField(
        ConductEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="charge",
        help_text="The friction event this charge is for (empty for a moderator's own charge).",
    )
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    category = models.CharField(max_length=60, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    cost = models.DecimalField(max_digits=7, decimal_places=2)
    reason = models.CharField(max_length=300)
    occurred_at = models.DateTimeField(help_text="When the behaviour happened.")
    recorded_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    objects: ClassVar[ChargeQuerySet] = ChargeQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-occurred_at", "-pk")
        indexes = [
            # Covering (cost, id): a member's spent in a window is an index-only scan.
            models.Index(
                fields=("community", "membership", "occurred_at"),
                include=("cost", "id"),
                name="charge_comm_member_occ",
            ),
            models.Index(fields=("membership", "occurred_at"), name="charge_member_occ"),
        ]

    def __str__(self) -> str:
        return f"{self.cost} for {self.reason}"


class ForgivenessKind(models.TextChoices):
    APPEAL = "appeal", _("Reversed on appeal")
    FLAG_REJECTED = "flag_rejected", _("The flag was rejected on review")
    GRACE = "grace", _("Moderator grace")
    AGREEMENT = "agreement", _("Restorative agreement kept")


class Forgiveness(models.Model):
    """The entry that makes a charge stop counting. One per charge; never removed."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="forgiveness_entries"
    )
    charge = models.OneToOneField(Charge, on_delete=models.CASCADE, related_name="forgiveness")
    kind = models.CharField(max_length=20, choices=ForgivenessKind.choices)
    reason = models.CharField(max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    at = models.DateTimeField(default=timezone.now)
    event = models.ForeignKey(
        ConductEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The event that released the charge (a rejected flag), if any.",
    )

    class Meta:
        verbose_name_plural = "forgiveness entries"
        ordering = ("-at",)

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: charge {self.charge_id}"


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a moderator")
    # The stored values are old names; people only ever read the labels.
    UPHELD = "upheld", _("Charge reversed")
    DECLINED = "declined", _("Charge stands")


class AppealQuerySet(models.QuerySet["Appeal"]):
    def pending(self) -> AppealQuerySet:
        return self.filter(status=AppealStatus.PENDING)


class Appeal(models.Model):
    """A member's appeal of one of their charges. One per charge (a unique key)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="appeals")
    charge = models.OneToOneField(Charge, on_delete=models.CASCADE, related_name="appeal")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="appeals")
    statement = models.TextField(max_length=4000)
    status = models.CharField(
        max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    filed_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    decision_reason = models.TextField(max_length=4000, blank=True)

    objects: ClassVar[AppealQuerySet] = AppealQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("filed_at",)
        indexes = [
            models.Index(fields=("community", "status", "filed_at"), name="appeal_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="appeal_decided_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"Appeal of charge {self.charge_id} ({self.status})"
