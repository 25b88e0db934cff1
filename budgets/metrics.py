"""Prometheus collectors for budgets, read from the database at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, QuerySet
from prometheus_client.core import GaugeMetricFamily, Metric

from budgets.models import MemberBudget
from budgets.models.snapshots import RecalcRun
from community.metrics import DatabaseCollector, register_collector
from community.models import Community


class BudgetCollector(DatabaseCollector):
    names = (
        ("csre_member_budgets", ""),
        ("csre_budget_recalculation_seconds", ""),
        ("csre_budget_recalculation_timestamp_seconds", ""),
    )

    def collect_for(self, communities: QuerySet[Community]) -> Iterator[Metric]:
        slugs = dict(communities.values_list("pk", "slug"))
        by_tier = GaugeMetricFamily(
            "csre_member_budgets",
            "Members by forgiveness-budget tier, per community.",
            labels=["community", "tier"],
        )
        rows = (
            MemberBudget.objects.filter(community_id__in=list(slugs))
            .values("community_id", "tier")
            .annotate(n=Count("pk"))
            .order_by("community_id", "tier")
        )
        for row in rows:
            by_tier.add_metric([slugs.get(row["community_id"], "?"), row["tier"]], row["n"])
        yield by_tier

        duration = GaugeMetricFamily(
            "csre_budget_recalculation_seconds",
            "Duration of the last budget recalculation, per community and kind.",
            labels=["community", "kind"],
        )
        finished = GaugeMetricFamily(
            "csre_budget_recalculation_timestamp_seconds",
            "When the last budget recalculation of this kind started.",
            labels=["community", "kind"],
        )
        seen: set[tuple[int, str]] = set()
        runs = RecalcRun.objects.filter(community_id__in=list(slugs)).order_by("-started_at")
        for run in runs[:500]:
            key = (run.community_id, run.kind)
            if key in seen:
                continue
            seen.add(key)
            labels = [slugs.get(run.community_id, "?"), run.kind]
            duration.add_metric(labels, run.duration_seconds)
            finished.add_metric(labels, run.started_at.timestamp())
        yield duration
        yield finished


def register() -> None:
    register_collector("budgets", BudgetCollector())
