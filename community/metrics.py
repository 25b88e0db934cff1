"""Prometheus collectors for the spine. Values are read from the database at scrape time, so
every web process reports the same numbers (no per-process counters to merge)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

from community.models import Community, DomainEvent, Heartbeat

_registered: set[str] = set()


def register_collector(name: str, collector: Collector) -> None:
    """Register a collector once per process (apps call this from ``ready``)."""
    if name not in _registered:
        REGISTRY.register(collector)
        _registered.add(name)


class DatabaseCollector(Collector):
    """A collector whose values come from the database. ``describe`` names its metrics without
    querying, so registering it at start-up touches no database."""

    names: tuple[tuple[str, str], ...] = ()

    def describe(self) -> Iterator[GaugeMetricFamily]:
        for name, documentation in self.names:
            yield GaugeMetricFamily(name, documentation)


class SpineCollector(DatabaseCollector):
    names = (
        ("csre_communities", ""),
        ("csre_outbox_pending_events", ""),
        ("csre_heartbeat_timestamp_seconds", ""),
        ("csre_memberships", ""),
    )

    def collect(self) -> Iterator[GaugeMetricFamily]:
        communities = GaugeMetricFamily("csre_communities", "Communities hosted.")
        communities.add_metric([], Community.objects.count())
        yield communities

        pending = GaugeMetricFamily(
            "csre_outbox_pending_events", "Domain events recorded but not yet dispatched."
        )
        pending.add_metric([], DomainEvent.objects.filter(dispatched_at__isnull=True).count())
        yield pending

        beats = GaugeMetricFamily(
            "csre_heartbeat_timestamp_seconds",
            "When a background process last proved it was alive (alert when this gets old).",
            labels=["process"],
        )
        for beat in Heartbeat.objects.all():
            beats.add_metric([beat.name], beat.beat_at.timestamp())
        yield beats

        members = GaugeMetricFamily(
            "csre_memberships", "Memberships by community.", labels=["community"]
        )
        for row in Community.objects.annotate(n=Count("memberships")).values("slug", "n"):
            members.add_metric([row["slug"]], row["n"])
        yield members


def register() -> None:
    register_collector("community", SpineCollector())
