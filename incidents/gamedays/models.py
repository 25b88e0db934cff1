"""A game day: one rehearsal of a runbook on a recorded flame war, played into its own hidden
sandbox community. The real community is never written to: the sandbox has copies of its
clauses, policy and runbooks, and the real moderators as members."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from community.models import Community


class GameDayStatus(models.TextChoices):
    RUNNING = "running", gettext_lazy("Running")
    FINISHED = "finished", gettext_lazy("Finished")
    INTERRUPTED = "interrupted", gettext_lazy("Stopped because a real incident started")


class RecordingKind(models.TextChoices):
    SAMPLE = "sample", gettext_lazy("A sample shipped with the app")
    INCIDENT = "incident", gettext_lazy("A past incident of this community")
    PERIOD = "period", gettext_lazy("A period of this community's history")


class GameDayQuerySet(models.QuerySet["GameDay"]):
    def running(self) -> GameDayQuerySet:
        return self.filter(status=GameDayStatus.RUNNING)

    def ended(self) -> GameDayQuerySet:
        return self.exclude(status=GameDayStatus.RUNNING)


class GameDay(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="game_days")
    # Null once the sandbox was removed, ``GAMEDAY_SANDBOX_RETENTION_DAYS`` after the end.
    sandbox = models.OneToOneField(
        Community,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sandbox_of_game_day",
    )
    runbook_name = models.CharField(max_length=120)
    sandbox_runbook_id = models.PositiveIntegerField(
        help_text="The sandbox's copy of the rehearsed runbook."
    )
    recording_kind = models.CharField(max_length=10, choices=RecordingKind.choices)
    recording_title = models.CharField(max_length=200)
    # The recording, frozen at the start: [{"at": seconds, "kind": ..., "member": ..., ...}].
    events: models.JSONField[list[dict[str, Any]]] = models.JSONField(default=list)
    speed = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=12, choices=GameDayStatus.choices, default=GameDayStatus.RUNNING
    )
    emitted = models.PositiveIntegerField(default=0, help_text="Events sent so far.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    started_at = models.DateTimeField(default=timezone.now)
    fed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.TextField(blank=True)
    report: models.JSONField[dict[str, Any]] = models.JSONField(default=dict, blank=True)
    sandbox_purged_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[GameDayQuerySet] = GameDayQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return f"game day {self.pk}: {self.runbook_name} on {self.recording_title}"

    def get_absolute_url(self) -> str:
        return reverse("gamedays:detail", kwargs={"slug": self.community.slug, "pk": self.pk})

    @property
    def is_running(self) -> bool:
        return self.status == GameDayStatus.RUNNING

    @property
    def total_events(self) -> int:
        return len(self.events)
