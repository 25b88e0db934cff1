"""A kept replay: what was asked, how far it got, and what it found (kept until dismissed)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DEFAULT_PERIOD = timedelta(days=30)
# An event received more than this after its recorded_at is imported history, not live news.
IMPORT_GRACE = timedelta(minutes=10)


class ReplayStatus(models.TextChoices):
    QUEUED = "queued", gettext_lazy("Waiting to start")
    RUNNING = "running", gettext_lazy("Running")
    DONE = "done", gettext_lazy("Done")
    FAILED = "failed", gettext_lazy("Could not finish")
    DISMISSED = "dismissed", gettext_lazy("Dismissed")


class ReplayQuerySet(models.QuerySet["Replay"]):
    def kept(self) -> ReplayQuerySet:
        return self.exclude(status=ReplayStatus.DISMISSED)


class Replay(models.Model):
    """A dry run of a clause (a draft body, or an existing clause) over stored history."""

    community = models.ForeignKey(
        "community.Community", on_delete=models.CASCADE, related_name="replays"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    clause = models.ForeignKey(
        "community.Clause", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The clause body replayed (ClauseDefinition.as_dict()), frozen when asked; {} for a
    # replay of a draft policy alone.
    definition = models.JSONField()
    # The draft forgiveness policy (changes to the live one, as for saving it), if any.
    policy = models.JSONField(null=True, blank=True)
    # A runbook (of the incidents app: kept by id, its name in the results) whose automated
    # steps are replayed on the incidents the alerts would have declared.
    runbook_id = models.PositiveIntegerField(null=True, blank=True)
    period_from = models.DateTimeField()
    period_to = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ReplayStatus.choices, default=ReplayStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    results = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ReplayQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=("community", "created_at"), name="replay_comm_created")]

    def __str__(self) -> str:
        return f"replay {self.pk} of {self.title}"

    @property
    def title(self) -> str:
        """What was replayed, in words."""
        clause = self.definition.get("title", "") if self.definition else ""
        if clause and self.policy:
            return _("“%(clause)s” and a draft budget policy") % {"clause": clause}
        if self.policy:
            return _("a draft budget policy")
        return f"“{clause}”"


class ImportedEvent(models.Model):
    """An event that came in as imported history (docs/replay.md, "Imported history never
    pages"): given through the batch API or ``replay_discourse`` with a ``recorded_at`` more
    than ``IMPORT_GRACE`` before it was received. Live alert windows leave it out; its SLI,
    its budget and every replay count it. Kept only while it could be inside an alert window
    (older notes are forgotten at the community's next import)."""

    event = models.OneToOneField(
        "community.ConductEvent", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    community = models.ForeignKey("community.Community", on_delete=models.CASCADE, related_name="+")
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=("community", "recorded_at"), name="imported_comm_recorded")]

    def __str__(self) -> str:
        return f"imported event {self.pk}"
