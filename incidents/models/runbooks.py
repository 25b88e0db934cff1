"""Runbooks (community-authored templates of ordered steps), their runs on incidents, and the
notices a step asks the forum to post."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.models import Community, Space


class StepKind(models.TextChoices):
    CHECKLIST = "checklist", _("Checklist item (a person ticks it)")
    START_COOLDOWN = "start_cooldown", _("Start a cooldown on the incident's spaces")
    POST_NOTICE = "post_notice", _("Post a notice to the spaces")
    NOTIFY_PARTIES = "notify_parties", _("Notify the parties privately")
    SCHEDULE_CHECK_IN = "schedule_check_in", _("Schedule a check-in")
    RECHECK_CALM = "recheck_calm", _("Re-check the burn rate; lift the cooldown when calm")


AUTOMATED_KINDS = frozenset(set(StepKind.values) - {StepKind.CHECKLIST})


class RunbookQuerySet(models.QuerySet["Runbook"]):
    def active(self) -> RunbookQuerySet:
        return self.filter(is_active=True)


class Runbook(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="runbooks")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[RunbookQuerySet] = RunbookQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=("community", "name"), name="runbook_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class RunbookStep(models.Model):
    """One step of a runbook. ``config`` holds the automated action's parameters:

    - start_cooldown: ``duration_minutes``, ``mode`` (slow_mode / read_only), ``slow_mode_seconds``
    - post_notice: ``text``, with ``{facilitator}``, ``{runbook}``, ``{space}``, ``{ends_at}``
    - notify_parties: ``text``
    - schedule_check_in: ``after_minutes``
    - recheck_calm: ``target``, ``threshold``, ``long_minutes``, ``short_minutes``,
      ``every_minutes``

    A step runs only when its conditions match (empty lists match everything).
    """

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    config = models.JSONField(default=dict, blank=True)
    only_severities = models.JSONField(default=list, blank=True)
    only_space_kinds = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ("runbook", "position")
        constraints = [
            models.UniqueConstraint(fields=("runbook", "position"), name="runbook_step_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    @property
    def is_automated(self) -> bool:
        return self.kind in AUTOMATED_KINDS

    def skip_reason(self, *, severity: str, space_kinds: set[str]) -> str:
        """Why this step does not run on an incident of ``severity`` in spaces of
        ``space_kinds`` ("" when its conditions are met), in the active language."""
        if self.only_severities and severity not in self.only_severities:
            return gettext("Condition not met: runs only for %(levels)s.") % {
                "levels": "/".join(self.only_severities)
            }
        if self.only_space_kinds and not space_kinds & set(self.only_space_kinds):
            return gettext("Condition not met: runs only in a %(kinds)s.") % {
                "kinds": " / ".join(self.only_space_kinds)
            }
        return ""

    def condition_text(self) -> str:
        parts = []
        if self.only_severities:
            parts.append(gettext("only %(levels)s") % {"levels": "/".join(self.only_severities)})
        if self.only_space_kinds:
            parts.append(
                gettext("only in a %(kinds)s") % {"kinds": " / ".join(self.only_space_kinds)}
            )
        return "; ".join(parts)


class RunbookRun(models.Model):
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="runbook_runs"
    )
    runbook = models.ForeignKey(Runbook, on_delete=models.PROTECT, related_name="runs")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("started_at",)
        constraints = [
            models.UniqueConstraint(fields=("incident", "runbook"), name="runbook_run_once")
        ]

    def __str__(self) -> str:
        return f"{self.runbook} on incident {self.incident_id}"


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    WAITING = "waiting", _("Waiting for its time")
    PROPOSED = "proposed", _("Waiting for the facilitator")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


FINISHED_STEP_STATUSES = frozenset({StepStatus.DONE, StepStatus.SKIPPED})


class StepRun(models.Model):
    """A step of a run. The step's title, kind and config are copied when the run starts, so
    editing the runbook later does not rewrite what happened."""

    run = models.ForeignKey(RunbookRun, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    config = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    reason = models.TextField(blank=True, help_text="Why it was skipped, or what it did.")
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("run", "position")
        constraints = [
            models.UniqueConstraint(fields=("run", "position"), name="step_run_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title} ({self.status})"

    @property
    def is_automated(self) -> bool:
        return self.kind in AUTOMATED_KINDS

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STEP_STATUSES


class Notice(models.Model):
    """A notice for the forum to post in a space (delivered through ``notice.requested``)."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="notices"
    )
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="+")
    step_run = models.ForeignKey(
        StepRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    raw = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("step_run", "space"),
                condition=Q(step_run__isnull=False),
                name="notice_once_per_step_space",
            )
        ]

    def __str__(self) -> str:
        return f"notice for incident {self.incident_id} in {self.space_id}"
