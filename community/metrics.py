"""Prometheus collectors for the spine. Values are read from the database at scrape time, so
every web process reports the same numbers (no per-process counters to merge).

A members-only community is a 404 to outsiders, so an anonymous scrape must not learn it exists
either: each scrape builds a registry of the database collectors over the communities it may
see (``database_registry``), and every collector reports only on those. Without the metrics
token that is the public communities alone: no label, and no count that includes the others.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, QuerySet
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from community.hidden import listed
from community.models import Community, DomainEvent, Heartbeat, Visibility

_collectors: dict[str, DatabaseCollector] = {}


def register_collector(name: str, collector: DatabaseCollector) -> None:
    """Register a collector once per process (apps call this from ``ready``)."""
    _collectors.setdefault(name, collector)


def exported_communities(*, include_members_only: bool) -> QuerySet[Community]:
    communities = listed(Community.objects.all())
    if include_members_only:
        return communities
    return communities.filter(visibility=Visibility.PUBLIC)


class DatabaseCollector:
    """A collector whose values come from the database, limited to ``communities``. ``names``
    lists its metrics, so registering it queries nothing."""

    names: tuple[tuple[str, str], ...] = ()

    def describe(self) -> Iterator[GaugeMetricFamily]:
        for name, documentation in self.names:
            yield GaugeMetricFamily(name, documentation)

    def collect_for(self, communities: QuerySet[Community]) -> Iterator[Metric]:
        raise NotImplementedError


class _Scoped(Collector):
    """One scrape's view of a database collector."""

    def __init__(self, collector: DatabaseCollector, communities: QuerySet[Community]) -> None:
        self.collector = collector
        self.communities = communities

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return self.collector.describe()

    def collect(self) -> Iterator[Metric]:
        return self.collector.collect_for(self.communities)


def database_registry(*, include_members_only: bool) -> CollectorRegistry:
    """The registered database collectors, over the communities this scrape may see."""
    communities = exported_communities(include_members_only=include_members_only)
    registry = CollectorRegistry(auto_describe=False)
    for collector in _collectors.values():
        registry.register(_Scoped(collector, communities))
    return registry


class SpineCollector(DatabaseCollector):
    names = (
        ("csre_communities", ""),
        ("csre_outbox_pending_events", ""),
        ("csre_heartbeat_timestamp_seconds", ""),
        ("csre_memberships", ""),
    )

    def collect_for(self, communities: QuerySet[Community]) -> Iterator[Metric]:
        hosted = GaugeMetricFamily("csre_communities", "Communities hosted.")
        hosted.add_metric([], communities.count())
        yield hosted

        pending = GaugeMetricFamily(
            "csre_outbox_pending_events", "Domain events recorded but not yet dispatched."
        )
        pending.add_metric(
            [],
            DomainEvent.objects.filter(
                dispatched_at__isnull=True, community__in=communities
            ).count(),
        )
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
        for row in communities.annotate(n=Count("memberships")).values("slug", "n"):
            members.add_metric([row["slug"]], row["n"])
        yield members


def register() -> None:
    register_collector("community", SpineCollector())
