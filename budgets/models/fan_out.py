"""The bookkeeping of a full recalculation split into one task per chunk of members
(``budgets.fan_out``): the run, counted in the database, and its chunks."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from community.models import Community


class FanOutRun(models.Model):
    """A full recalculation of one community in flight, one task per chunk. ``chunks_done`` is
    counted under this row's lock as each chunk commits; whoever finds it equal to ``chunks``
    claims ``finished_at`` and does what follows a full run, once."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(help_text="The moment every chunk's budgets are computed as of.")
    requested_since = models.DateTimeField(
        null=True, blank=True, help_text="The full recalculation request this run answers."
    )
    chunks = models.PositiveIntegerField()
    chunks_done = models.PositiveIntegerField(default=0)
    members = models.PositiveIntegerField(default=0)
    written = models.PositiveIntegerField(default=0)
    transitions = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(
        default=timezone.now, help_text="When the unfinished chunks' tasks were last sent."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A second full request while one runs waits for it (its flag stays set), so two
            # runs never compute the same members at once.
            models.UniqueConstraint(
                fields=["community"],
                condition=Q(finished_at__isnull=True),
                name="fanoutrun_one_unfinished",
            )
        ]

    def __str__(self) -> str:
        return f"fan-out {self.community_id}: {self.chunks_done}/{self.chunks}"


class FanOutChunk(models.Model):
    """One inclusive id range of members of a fanned-out run; ``done_at`` is set in the same
    transaction as the chunk's snapshots, so a chunk is done entirely or not at all."""

    run = models.ForeignKey(FanOutRun, on_delete=models.CASCADE, related_name="chunk_rows")
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="The worker that ran it.")
    members = models.PositiveIntegerField(default=0)
    written = models.PositiveIntegerField(default=0)
    transitions = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("run", "first_id")

    def __str__(self) -> str:
        return f"chunk {self.first_id}-{self.last_id} of run {self.run_id}"
