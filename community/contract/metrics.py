"""Clause SLOs on /metrics under Sloth's names, so existing SLO dashboards work unchanged.

Labels: ``sloth_service`` (the community slug), ``sloth_slo`` (the clause slug), ``sloth_id``
(both joined, as Sloth does) and ``space`` ("" for community-wide, else the space name). Values
come from the latest snapshot of each live clause, so a scrape runs two small queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from community.contract.slo import DEFAULT_ALERT_RULES, MINUTES_PER_DAY, window_label
from community.metrics import DatabaseCollector, register_collector
from community.models import Clause, ClauseSnapshot, Community
from community.tiers import ONE

LABELS = ["sloth_service", "sloth_slo", "sloth_id", "space"]
DEFAULT_WINDOWS = sorted(
    {m for r in DEFAULT_ALERT_RULES for m in (r.long_minutes, r.short_minutes)}
    | {30 * MINUTES_PER_DAY}
)


class ClauseSloCollector(DatabaseCollector):
    names = (
        *(
            (f"slo:sli_error:ratio_rate{window_label(m)}", "Error ratio of a clause's SLI.")
            for m in DEFAULT_WINDOWS
        ),
        ("slo:objective:ratio", "A clause's target."),
        ("slo:error_budget:ratio", "1 - the target."),
        ("slo:time_period:days", "A clause's rolling window in days."),
        ("slo:period_error_budget_remaining:ratio", "Budget remaining over the window."),
        ("slo:period_burn_rate:ratio", "Burn rate over the whole window."),
    )

    def collect_for(self, communities: QuerySet[Community]) -> Iterator[Metric]:
        live = Clause.objects.live().filter(community__in=communities)
        clauses = {c.pk: c for c in live.select_related("community")}
        since = timezone.now() - timedelta(hours=2)
        latest: dict[tuple[int, str], ClauseSnapshot] = {}
        for snap in (
            ClauseSnapshot.objects.filter(clause_id__in=list(clauses), bucket__gte=since)
            .select_related("space")
            .order_by("-bucket")
        ):
            latest.setdefault((snap.clause_id, snap.scope), snap)
        families: dict[str, GaugeMetricFamily] = {}

        def gauge(name: str, labels: list[str], value: Decimal | float | int) -> None:
            if name not in families:
                families[name] = GaugeMetricFamily(
                    name, dict(self.names).get(name, name), labels=LABELS
                )
            families[name].add_metric(labels, float(value))

        for clause in clauses.values():
            definition = clause.published_definition()
            if definition is None:
                continue
            service, slo = clause.community.slug, clause.slug
            base = [service, slo, f"{service}-{slo}", ""]
            gauge("slo:objective:ratio", base, definition.target)
            gauge("slo:error_budget:ratio", base, ONE - definition.target)
            gauge("slo:time_period:days", base, definition.window_days)
        for (clause_id, _), snap in sorted(latest.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            clause = clauses[clause_id]
            definition = clause.published_definition()
            if definition is None:
                continue
            budget = ONE - definition.target
            service, slo = clause.community.slug, clause.slug
            labels = [service, slo, f"{service}-{slo}", snap.space.name if snap.space else ""]
            period = window_label(definition.window_days * MINUTES_PER_DAY)
            error = Decimal(snap.bad) / snap.total if snap.total else Decimal(0)
            gauge(f"slo:sli_error:ratio_rate{period}", labels, error)
            gauge("slo:period_burn_rate:ratio", labels, error / budget)
            gauge("slo:period_error_budget_remaining:ratio", labels, snap.budget_remaining)
            for window, burn in sorted(snap.burn_rates.items()):
                gauge(f"slo:sli_error:ratio_rate{window}", labels, Decimal(burn) * budget)
        yield from families.values()


def register() -> None:
    register_collector("community-contract", ClauseSloCollector())
