"""The boards' one stored read model: the fairness board's counts, computed hourly."""

from __future__ import annotations

from django.db import models

from community.models import Community


class FairnessSnapshot(models.Model):
    """The fairness board's counted cohort rows for one community and window, as
    ``boards.fairness.count_cohorts`` returned them at ``computed_at`` (community-wide: a
    space's board is counted when asked). Derived: recomputed hourly and on request, never
    exported."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="fairness_snapshots"
    )
    window_days = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField()
    rows = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("community", "window_days"), name="fairness_snapshot_one_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_id}/{self.window_days} d @ {self.computed_at:%Y-%m-%d %H:%M}"
