"""The community's published clauses as the pure specs ``boards.observability`` turns into
Prometheus rules and a Grafana dashboard."""

from __future__ import annotations

from boards.observability import ClauseSpec, RuleSpec
from community.models import Clause, Community


def clause_specs(*, community: Community) -> list[ClauseSpec]:
    specs = []
    for clause in Clause.objects.live().filter(community=community).order_by("position", "pk"):
        definition = clause.published_definition()
        if definition is None:
            continue
        specs.append(
            ClauseSpec(
                community=community.slug,
                slug=clause.slug,
                title=definition.title,
                target=definition.target,
                window_days=definition.window_days,
                min_bad_events=definition.min_bad_events,
                rules=tuple(
                    RuleSpec(
                        name=rule.name,
                        severity=str(rule.severity),
                        budget_percent=rule.budget_percent,
                        long_minutes=rule.long_minutes,
                        short_minutes=rule.short_minutes,
                    )
                    for rule in definition.alert_rules
                ),
            )
        )
    return specs
