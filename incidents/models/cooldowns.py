"""Cooldowns: a timed slow mode or read-only period on one space."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.models import Community, Space


class CooldownMode(models.TextChoices):
    SLOW_MODE = "slow_mode", _("Slow mode")
    READ_ONLY = "read_only", _("Read-only")


class CooldownEndReason(models.TextChoices):
    EXPIRED = "expired", _("Ended on time")
    LIFTED = "lifted", _("Lifted early")
    CALM = "calm", _("Lifted: the space is calm")


class CooldownQuerySet(models.QuerySet["Cooldown"]):
    def active(self) -> CooldownQuerySet:
        return self.filter(ended_at__isnull=True)

    def overdue(self, now: datetime) -> CooldownQuerySet:
        return self.filter(ended_at__isnull=True, ends_at__lte=now)


class Cooldown(models.Model):
    """Every cooldown has a required end. Only one is active per space (a DB constraint);
    extending one is an explicit action. It ends by itself at ``ends_at``."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="cooldowns")
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="cooldowns")
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cooldowns",
    )
    step_run = models.ForeignKey(
        "incidents.StepRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    mode = models.CharField(max_length=10, choices=CooldownMode.choices)
    slow_mode_seconds = models.PositiveIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=10, choices=CooldownEndReason.choices, blank=True)
    lift_reason = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_by_label = models.CharField(max_length=150, blank=True)

    objects: ClassVar[CooldownQuerySet] = CooldownQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-starts_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("space",),
                condition=Q(ended_at__isnull=True),
                name="cooldown_one_active_per_space",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="cooldown_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(mode="read_only") | Q(slow_mode_seconds__gt=0),
                name="cooldown_slow_mode_has_interval",
            ),
        ]
        indexes = [
            models.Index(
                fields=("ends_at",), condition=Q(ended_at__isnull=True), name="cooldown_active_end"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mode} on {self.space_id} until {self.ends_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    def time_left(self, now: datetime | None = None) -> timedelta:
        if self.ended_at is not None:
            return timedelta(0)
        return max(self.ends_at - (now or timezone.now()), timedelta(0))

    def describe(self) -> str:
        if self.mode == CooldownMode.SLOW_MODE:
            return gettext("slow mode (one post per %(seconds)s s)") % {
                "seconds": self.slow_mode_seconds
            }
        return gettext("read-only")
