"""The hourly event count rollup, a read model of ``ConductEvent`` for the boards and release
health (``community.event_rollup`` refreshes and reads it; docs/boards.md)."""

from __future__ import annotations

from django.db import models

from community.models.spine import Community


class EventHourCount(models.Model):
    """How many events of one kind and category a space (``space_id`` null: none) had in one
    hour of ``occurred_at``, counting the events recorded by the community's last refresh, and
    how many of them a reversing event recorded by then cancels (``reversed``: an upheld flag
    later rejected). ``space_id`` is a plain number: a deleted space's rows keep counting
    community-wide."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    space_id = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=30)
    category = models.CharField(max_length=60, blank=True)
    count = models.IntegerField()
    reversed = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("community", "hour", "space_id", "kind", "category"),
                name="event_hour_count_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.category} {self.hour:%Y-%m-%d %H}h: {self.count}"


class EventRollupMark(models.Model):
    """How far a community's rollup is refreshed: every event recorded by ``through`` is
    counted. Its row is also the refresh's lock."""

    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    through = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"rollup through {self.through}"
