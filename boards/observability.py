"""The operations view of the same numbers, free of Django: Prometheus alert rules and a Grafana
dashboard generated from a community's clauses (``manage.py export_observability``).

The alerts page on ``csre_clause_alert_firing``, the app's own alert state (``boards.metrics``),
so an operator's Prometheus pages exactly when the app does: the app's multi-window,
multi-burn-rate rules (DESIGN.md §3.1) also need ``min_bad_events`` bad events in the long
window, which a plain burn-rate expression over ratios cannot see. The plain burn rates are
recorded beside them (``csre:clause_burn_rate:ratio_rate<window>``, from the Sloth-named series
the contract exports) for dashboards and for an operator who wants to compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

FIRING = "csre_clause_alert_firing"
ALERT_NAME = "CsreClauseBudgetBurn"
MINUTES_PER_HOUR, MINUTES_PER_DAY = 60, 24 * 60


@dataclass(frozen=True)
class RuleSpec:
    name: str
    severity: str  # "page" or "ticket"
    budget_percent: Decimal
    long_minutes: int
    short_minutes: int

    def threshold(self, window_days: int) -> Decimal:
        """``X/100 * window_hours / L_hours`` (DESIGN.md §3.1)."""
        return self.budget_percent / 100 * window_days * MINUTES_PER_DAY / self.long_minutes


@dataclass(frozen=True)
class ClauseSpec:
    community: str
    slug: str
    title: str
    target: Decimal
    window_days: int
    min_bad_events: int
    rules: tuple[RuleSpec, ...]


def window(minutes: int) -> str:
    """A Prometheus duration and the window label the app's series use: 5m, 1h, 3d."""
    if minutes % MINUTES_PER_DAY == 0:
        return f"{minutes // MINUTES_PER_DAY}d"
    if minutes % MINUTES_PER_HOUR == 0:
        return f"{minutes // MINUTES_PER_HOUR}h"
    return f"{minutes}m"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _selector(clause: ClauseSpec, **extra: str) -> str:
    labels = {"community": clause.community, "clause": clause.slug, **extra}
    return "{" + ", ".join(f"{k}={_quoted(v)}" for k, v in labels.items()) + "}"


def _sloth(clause: ClauseSpec) -> str:
    return f"{{sloth_service={_quoted(clause.community)}, sloth_slo={_quoted(clause.slug)}}}"


def burn_rate_expr(clause: ClauseSpec, minutes: int) -> str:
    budget = _number(Decimal(1) - clause.target)
    return f"slo:sli_error:ratio_rate{window(minutes)}{_sloth(clause)} / {budget}"


def alert_rule(clause: ClauseSpec, rule: RuleSpec) -> dict[str, object]:
    threshold = rule.threshold(clause.window_days).quantize(Decimal("0.01"))
    long_w, short_w = window(rule.long_minutes), window(rule.short_minutes)
    return {
        "alert": ALERT_NAME,
        "expr": f"max by (community, clause, rule, scope) "
        f"({FIRING}{_selector(clause, rule=rule.name)}) == 1",
        "labels": {
            "severity": rule.severity,
            "community": clause.community,
            "clause": clause.slug,
            "rule": rule.name,
        },
        "annotations": {
            "summary": f"{clause.title}: the budget is going fast ({{{{ $labels.scope }}}})",
            "description": (
                f"The app's own alert is open: over both {long_w} and {short_w} the clause burns "
                f"its budget at least {_number(threshold)} times the steady pace, with at least "
                f"{clause.min_bad_events} bad events in the last {long_w}. The plain burn rates "
                f"are recorded as csre:clause_burn_rate:ratio_rate{long_w} and "
                f"csre:clause_burn_rate:ratio_rate{short_w}."
            ),
        },
    }


def recording_rules(clause: ClauseSpec) -> list[dict[str, object]]:
    minutes = sorted({m for r in clause.rules for m in (r.long_minutes, r.short_minutes)})
    return [
        {
            "record": f"csre:clause_burn_rate:ratio_rate{window(m)}",
            "expr": burn_rate_expr(clause, m),
            "labels": {"community": clause.community, "clause": clause.slug},
        }
        for m in minutes
    ]


def alert_rules(community: str, clauses: Sequence[ClauseSpec]) -> dict[str, object]:
    """A Prometheus rule file (``promtool check rules`` accepts it) for one community."""
    return {
        "groups": [
            {
                "name": f"csre-{community}-burn-rates",
                "rules": [r for c in clauses for r in recording_rules(c)],
            },
            {
                "name": f"csre-{community}-clause-alerts",
                "rules": [alert_rule(c, r) for c in clauses for r in c.rules],
            },
        ]
    }


def _panel(pid: int, title: str, expr: str, kind: str, x: int, y: int) -> dict[str, object]:
    return {
        "id": pid,
        "type": kind,
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 8, "x": x, "y": y},
        "targets": [{"expr": expr, "refId": "A", "legendFormat": "{{space}}{{scope}}"}],
    }


def dashboard(community: str, name: str, clauses: Sequence[ClauseSpec]) -> dict[str, object]:
    """A Grafana dashboard: per clause its budget left, its burn rates and the app's alerts."""
    panels: list[dict[str, object]] = []
    for row, clause in enumerate(clauses):
        y = row * 8
        base = len(panels) + 1
        panels += [
            _panel(
                base,
                f"{clause.title}: budget left",
                f"slo:period_error_budget_remaining:ratio{_sloth(clause)}",
                "timeseries",
                0,
                y,
            ),
            _panel(
                base + 1,
                f"{clause.title}: burn rate",
                f"slo:period_burn_rate:ratio{_sloth(clause)}",
                "timeseries",
                8,
                y,
            ),
            _panel(
                base + 2,
                f"{clause.title}: the app's alerts",
                f"{FIRING}{_selector(clause)}",
                "stat",
                16,
                y,
            ),
        ]
    return {
        "uid": f"csre-{community}"[:40],
        "title": f"{name}: social contract",
        "tags": ["community-sre", community],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-30d", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Prometheus",
                }
            ]
        },
        "panels": panels,
    }
