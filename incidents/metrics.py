"""Prometheus collectors for incidents: open incidents and active cooldowns per community."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, QuerySet
from prometheus_client.core import GaugeMetricFamily, Metric

from community.metrics import DatabaseCollector, register_collector
from community.models import Community
from incidents.models import Cooldown, Incident


class IncidentCollector(DatabaseCollector):
    names = (
        ("csre_open_incidents", ""),
        ("csre_active_cooldowns", ""),
    )

    def collect_for(self, communities: QuerySet[Community]) -> Iterator[Metric]:
        incidents = GaugeMetricFamily(
            "csre_open_incidents",
            "Incidents not yet resolved, by community and severity.",
            labels=["community", "severity"],
        )
        rows = (
            Incident.objects.open()
            .filter(community__in=communities)
            .values("community__slug", "severity")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            incidents.add_metric([row["community__slug"], row["severity"]], row["n"])
        yield incidents
        cooldowns = GaugeMetricFamily(
            "csre_active_cooldowns", "Cooldowns in force, by community.", labels=["community"]
        )
        active = (
            Cooldown.objects.active()
            .filter(community__in=communities)
            .values("community__slug")
            .annotate(n=Count("pk"))
        )
        for active_row in active.order_by():
            cooldowns.add_metric([active_row["community__slug"]], active_row["n"])
        yield cooldowns


def register() -> None:
    register_collector("incidents", IncidentCollector())
