"""The app's own alert state on /metrics, so an operator's Prometheus pages exactly when the app
does (the app's alerts carry a volume guard that plain burn-rate rules lack).

``csre_clause_alert_firing{community, clause, rule, scope}`` is 1 while an alert episode is open
and 0 for every live clause's rule that is quiet community-wide (so the series exists before the
first page). ``scope`` is "community" or the space's name; no label names a member. Two queries
per scrape, whatever the history.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from prometheus_client.core import GaugeMetricFamily, Metric

from community.contract.slo import DEFAULT_ALERT_RULES
from community.metrics import DatabaseCollector, register_collector
from community.models import Clause, ClauseAlert, Community

FIRING = "csre_clause_alert_firing"
LABELS = ["community", "clause", "rule", "scope"]
COMMUNITY_SCOPE = "community"


class AlertStateCollector(DatabaseCollector):
    names = ((FIRING, "1 while the app's own alert for a clause, rule and scope is open."),)

    def collect_for(self, communities: QuerySet[Community]) -> Iterator[Metric]:
        family = GaugeMetricFamily(FIRING, self.names[0][1], labels=LABELS)
        firing: set[tuple[str, str, str, str]] = set()
        for slug, clause, rule, space in (
            ClauseAlert.objects.open()
            .filter(clause__community__in=communities, clause__is_live=True)
            .values_list("clause__community__slug", "clause__slug", "rule", "space__name")
        ):
            firing.add((slug, clause, rule, space or COMMUNITY_SCOPE))
        for slug, clause_slug, rules in (
            Clause.objects.live()
            .filter(community__in=communities)
            .values_list("community__slug", "slug", "alert_rules")
        ):
            names = [str(r.get("name")) for r in rules or []] or [
                r.name for r in DEFAULT_ALERT_RULES
            ]
            for name in names:
                key = (slug, clause_slug, name, COMMUNITY_SCOPE)
                if key not in firing:
                    family.add_metric(list(key), 0.0)
        for key in sorted(firing):
            family.add_metric(list(key), 1.0)
        yield family


register_collector("boards-alert-state", AlertStateCollector())
