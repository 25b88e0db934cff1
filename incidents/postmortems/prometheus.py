"""Prometheus collectors for restorative postmortems, per community: postmortems by state,
overdue postmortems, action items by status and agreements by status. Counts only, never a
member: no label names a person (the labels are the community's slug and a state)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db.models import Count, F, QuerySet
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from community.metrics import DatabaseCollector
from community.models import Community
from incidents.postmortems.models import (
    ActionItem,
    ActionStatus,
    Agreement,
    AgreementStatus,
    Postmortem,
    PostmortemState,
)


def _by_state(
    family: GaugeMetricFamily,
    slugs: Iterable[str],
    states: Iterable[str],
    rows: Iterable[Mapping[str, Any]],
    field: str,
) -> GaugeMetricFamily:
    """Every state of every community that has postmortems, zero where none (so a count
    that falls to zero reads as zero, not as a missing series)."""
    counts = {(str(r["slug"]), str(r[field])): int(r["n"]) for r in rows}
    states = list(states)
    for slug in slugs:
        for state in states:
            family.add_metric([slug, state], counts.get((slug, state), 0))
    return family


class PostmortemCollector(DatabaseCollector):
    names = (
        ("csre_postmortems", ""),
        ("csre_postmortems_overdue", ""),
        ("csre_postmortem_action_items", ""),
        ("csre_circle_agreements", ""),
    )

    def collect_for(self, communities: QuerySet[Community]) -> Iterator[Metric]:
        docs = Postmortem.objects.filter(community__in=communities)
        slugs = sorted(set(docs.values_list("community__slug", flat=True)))
        yield _by_state(
            GaugeMetricFamily(
                "csre_postmortems",
                "Restorative postmortems, by community and state (draft, in_review, published).",
                labels=["community", "state"],
            ),
            slugs,
            PostmortemState.values,
            docs.values("state").annotate(slug=F("community__slug"), n=Count("pk")).order_by(),
            "state",
        )
        overdue = GaugeMetricFamily(
            "csre_postmortems_overdue",
            "Postmortems past their due time and not yet published, by community.",
            labels=["community"],
        )
        late = dict(
            docs.exclude(state=PostmortemState.PUBLISHED)
            .filter(due_at__lt=timezone.now())
            .values("community__slug")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("community__slug", "n")
        )
        for slug in slugs:
            overdue.add_metric([slug], late.get(slug, 0))
        yield overdue
        yield _by_state(
            GaugeMetricFamily(
                "csre_postmortem_action_items",
                "Postmortem action items, by community and status (open, done, verifying, "
                "verified, reopened).",
                labels=["community", "status"],
            ),
            slugs,
            ActionStatus.values,
            ActionItem.objects.filter(community__in=communities)
            .values("status")
            .annotate(slug=F("community__slug"), n=Count("pk"))
            .order_by(),
            "status",
        )
        yield _by_state(
            GaugeMetricFamily(
                "csre_circle_agreements",
                "Agreements made in restorative circles, by community and status (open, kept, "
                "not_kept, withdrawn).",
                labels=["community", "status"],
            ),
            slugs,
            AgreementStatus.values,
            Agreement.objects.filter(postmortem__community__in=communities)
            .values("status")
            .annotate(slug=F("postmortem__community__slug"), n=Count("pk"))
            .order_by(),
            "status",
        )
