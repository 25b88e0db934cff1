"""OpenSLO v1: a clause as an ``SLO`` document, and back (https://github.com/OpenSLO/OpenSLO).

The indicator is a ``ratioMetric`` with ``bad`` and ``total`` counters whose ``metricSource``
is ``type: CommunitySRE`` (kinds, categories and space names of conduct events). Each alert
rule is one inline ``AlertPolicy`` with one ``burnrate`` ``AlertCondition``; OpenSLO has no
field for the multi-window short window, the budget share or the volume guard, so those ride in
``community-sre/...`` annotations. Errors name the field by its path in the document.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from community.contract.slo import (
    MINUTES_PER_DAY,
    AlertRule,
    ClauseDefinition,
    Severity,
    parse_window,
    window_label,
)
from community.problems import Problem

API_VERSION = "openslo/v1"
SOURCE_TYPE = "CommunitySRE"
ANNOTATION = "community-sre/"
RATIO = "spec.indicator.spec.ratioMetric"


DOCUMENT = "(document)"  # the field path of a problem with the whole document


class OpenSLOError(ValueError):
    """A document we cannot import, with (field path, problem) pairs; the problems are put in
    words in the reader's language by ``openslo_words``."""

    def __init__(self, errors: list[tuple[str, Problem]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {problem.code}" for field, problem in errors))


def _number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def export_clause(
    *, slug: str, definition: ClauseDefinition, service: str, space_names: dict[int, str]
) -> str:
    """The clause as an OpenSLO v1 ``SLO`` document (YAML)."""
    spaces = [space_names[s] for s in definition.spaces if s in space_names]

    def source(kinds: tuple[str, ...], categories: tuple[str, ...]) -> dict[str, Any]:
        return {
            "metricSource": {
                "type": SOURCE_TYPE,
                "spec": {
                    "kinds": list(kinds),
                    "categories": list(categories),
                    "spaces": list(spaces),
                },
            }
        }

    policies = [
        {
            "kind": "AlertPolicy",
            "metadata": {
                "name": rule.name,
                "annotations": {f"{ANNOTATION}budget-percent": str(rule.budget_percent)},
            },
            "spec": {
                "description": f"{rule.budget_percent} % of the error budget within "
                f"{window_label(rule.long_minutes)}",
                "alertWhenBreaching": True,
                "alertWhenResolved": True,
                "alertWhenNoData": False,
                "conditions": [
                    {
                        "kind": "AlertCondition",
                        "metadata": {
                            "name": f"{rule.name}-burn-rate",
                            "annotations": {
                                f"{ANNOTATION}short-window": window_label(rule.short_minutes)
                            },
                        },
                        "spec": {
                            "severity": rule.severity.value,
                            "condition": {
                                "kind": "burnrate",
                                "op": "gte",
                                "threshold": _number(rule.threshold(definition.window_days)),
                                "lookbackWindow": window_label(rule.long_minutes),
                            },
                        },
                    }
                ],
            },
        }
        for rule in definition.alert_rules
    ]
    document = {
        "apiVersion": API_VERSION,
        "kind": "SLO",
        "metadata": {
            "name": slug,
            "displayName": definition.title,
            "annotations": {
                f"{ANNOTATION}min-bad-events": str(definition.min_bad_events),
                f"{ANNOTATION}per-space": "true" if definition.per_space else "false",
            },
        },
        "spec": {
            "description": definition.wording,
            "service": service,
            "indicator": {
                "metadata": {"name": f"{slug}-ratio"},
                "spec": {
                    "ratioMetric": {
                        "counter": True,
                        "bad": source(definition.bad_kinds, definition.bad_categories),
                        "total": source(definition.total_kinds, definition.total_categories),
                    }
                },
            },
            "timeWindow": [
                {
                    "duration": window_label(definition.window_days * MINUTES_PER_DAY),
                    "isRolling": True,
                }
            ],
            "budgetingMethod": "Occurrences",
            "objectives": [{"displayName": definition.title, "target": _number(definition.target)}],
            "alertPolicies": policies,
        },
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


class _Reader:
    """Walks a parsed document, collecting errors with their paths instead of stopping."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, Problem]] = []

    def get(self, node: Any, path: str, key: str, kind: type, required: bool = True) -> Any:
        where = f"{path}.{key}" if path else key
        if not isinstance(node, dict):
            return None
        if key not in node or node[key] is None:
            if required:
                self.errors.append((where, Problem("required")))
            return None
        value = node[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            self.errors.append((where, Problem("wrong_type", {"type": type(value).__name__})))
            return None
        return value

    def strings(self, node: Any, path: str, key: str) -> tuple[str, ...]:
        value = self.get(node, path, key, list, required=False) or []
        if not all(isinstance(v, str) for v in value):
            self.errors.append((f"{path}.{key}", Problem("strings")))
            return ()
        return tuple(value)

    def decimal(self, value: Any, where: str) -> Decimal | None:
        try:
            return Decimal(str(value)) if value is not None else None
        except InvalidOperation:
            self.errors.append((where, Problem("number", {"value": value})))
            return None

    def window(self, value: Any, where: str) -> int | None:
        if not isinstance(value, str):
            self.errors.append((where, Problem("duration")))
            return None
        try:
            return parse_window(value)
        except ValueError:
            text = value.strip()
            # parse_window refuses a unit it does not know, or a duration of zero.
            wellformed = text[-1:] in ("m", "h", "d", "w") and text[:-1].isdigit()
            code = "positive_duration" if wellformed else "duration_text"
            self.errors.append((where, Problem(code, {"text": text})))
            return None


# Where each definition field lives in a document, to name it in a validation error.
FIELD_PATHS = {
    "title": "metadata.displayName",
    "wording": "spec.description",
    "target": "spec.objectives[0].target",
    "window_days": "spec.timeWindow[0].duration",
    "min_bad_events": f"metadata.annotations.{ANNOTATION}min-bad-events",
    "total_kinds": f"{RATIO}.total.metricSource.spec.kinds",
    "bad_kinds": f"{RATIO}.bad.metricSource.spec.kinds",
    "spaces": f"{RATIO}.total.metricSource.spec.spaces",
}


def field_path(field: str) -> str:
    """The document path for a definition field named in a validation error."""
    if field.startswith("alert_rules["):
        index = field[len("alert_rules[") : field.index("]")]
        name = field.split(".")[-1]
        inner = {
            "short_minutes": f"conditions[0].metadata.annotations.{ANNOTATION}short-window",
            "long_minutes": "conditions[0].spec.condition.lookbackWindow",
            "budget_percent": "spec.conditions[0].spec.condition.threshold",
            "name": "metadata.name",
        }.get(name, name)
        return f"spec.alertPolicies[{index}].{inner}"
    return FIELD_PATHS.get(field, field)


def parse_document(text: str, *, space_ids: dict[str, int]) -> tuple[str, ClauseDefinition]:
    """(slug, definition) from an OpenSLO v1 ``SLO`` document; OpenSLOError names each
    field that is missing or wrong. ``space_ids`` maps this community's space names to ids."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise OpenSLOError([(DOCUMENT, Problem("yaml", {"problem": str(exc)}))]) from None
    if not isinstance(doc, dict):
        raise OpenSLOError([(DOCUMENT, Problem("mapping"))])
    r = _Reader()
    if doc.get("apiVersion") != API_VERSION:
        r.errors.append(("apiVersion", Problem("must_be", {"value": API_VERSION})))
    if doc.get("kind") != "SLO":
        r.errors.append(("kind", Problem("must_be", {"value": "SLO"})))
    metadata = r.get(doc, "", "metadata", dict) or {}
    slug = r.get(metadata, "metadata", "name", str) or ""
    title = r.get(metadata, "metadata", "displayName", str, required=False) or slug
    annotations = r.get(metadata, "metadata", "annotations", dict, required=False) or {}
    spec = r.get(doc, "", "spec", dict) or {}
    wording = r.get(spec, "spec", "description", str, required=False) or ""
    if spec.get("budgetingMethod", "Occurrences") != "Occurrences":
        r.errors.append(("spec.budgetingMethod", Problem("occurrences")))
    indicator = r.get(spec, "spec", "indicator", dict) or {}
    ind_spec = r.get(indicator, "spec.indicator", "spec", dict) or {}
    ratio = r.get(ind_spec, "spec.indicator.spec", "ratioMetric", dict) or {}
    selectors: dict[str, dict[str, Any]] = {}
    for part in ("bad", "total"):
        node = r.get(ratio, RATIO, part, dict) or {}
        source = r.get(node, f"{RATIO}.{part}", "metricSource", dict) or {}
        where = f"{RATIO}.{part}.metricSource"
        if source and source.get("type") != SOURCE_TYPE:
            r.errors.append((f"{where}.type", Problem("must_be", {"value": SOURCE_TYPE})))
        selectors[part] = r.get(source, where, "spec", dict) or {}
    total_kinds = r.strings(selectors["total"], f"{RATIO}.total.metricSource.spec", "kinds")
    bad_kinds = r.strings(selectors["bad"], f"{RATIO}.bad.metricSource.spec", "kinds")
    total_categories = r.strings(
        selectors["total"], f"{RATIO}.total.metricSource.spec", "categories"
    )
    bad_categories = r.strings(selectors["bad"], f"{RATIO}.bad.metricSource.spec", "categories")
    space_list = r.strings(selectors["total"], f"{RATIO}.total.metricSource.spec", "spaces")
    bad_spaces = r.strings(selectors["bad"], f"{RATIO}.bad.metricSource.spec", "spaces")
    if bad_spaces and sorted(bad_spaces) != sorted(space_list):
        r.errors.append((f"{RATIO}.bad.metricSource.spec.spaces", Problem("same_spaces")))
    unknown = [name for name in space_list if name not in space_ids]
    if unknown:
        r.errors.append((FIELD_PATHS["spaces"], Problem("no_space", {"names": ", ".join(unknown)})))
    windows = r.get(spec, "spec", "timeWindow", list) or [{}]
    duration = r.window(
        (windows[0] or {}).get("duration") if isinstance(windows[0], dict) else None,
        "spec.timeWindow[0].duration",
    )
    window_days = 0
    if duration is not None:
        if duration % MINUTES_PER_DAY:
            r.errors.append(("spec.timeWindow[0].duration", Problem("whole_days")))
        window_days = duration // MINUTES_PER_DAY
    objectives = r.get(spec, "spec", "objectives", list) or []
    target = None
    if len(objectives) != 1 or not isinstance(objectives[0], dict):
        r.errors.append(("spec.objectives", Problem("one_objective")))
    else:
        raw = objectives[0].get("target")
        if raw is None and "targetPercent" in objectives[0]:
            percent = r.decimal(objectives[0]["targetPercent"], "spec.objectives[0].targetPercent")
            target = None if percent is None else percent / 100
        elif raw is None:
            r.errors.append(("spec.objectives[0].target", Problem("required")))
        else:
            target = r.decimal(raw, "spec.objectives[0].target")
    try:
        min_bad = int(str(annotations.get(f"{ANNOTATION}min-bad-events", "3")))
    except ValueError:
        r.errors.append((FIELD_PATHS["min_bad_events"], Problem("whole_number")))
        min_bad = 3
    per_space = str(annotations.get(f"{ANNOTATION}per-space", "true")).lower() != "false"
    rules = _rules(r, spec, window_days)
    if r.errors:
        raise OpenSLOError(r.errors)
    assert target is not None
    definition = ClauseDefinition(
        title=title,
        wording=wording,
        total_kinds=total_kinds,
        total_categories=total_categories,
        bad_kinds=bad_kinds,
        bad_categories=bad_categories,
        spaces=tuple(sorted(space_ids[name] for name in space_list)),
        per_space=per_space,
        target=target,
        window_days=window_days,
        alert_rules=tuple(rules),
        min_bad_events=min_bad,
    )
    return slug, definition


def _rules(r: _Reader, spec: dict[str, Any], window_days: int) -> list[AlertRule]:
    rules = []
    for index, policy in enumerate(
        r.get(spec, "spec", "alertPolicies", list, required=False) or []
    ):
        where = f"spec.alertPolicies[{index}]"
        if not isinstance(policy, dict) or "alertPolicyRef" in policy:
            r.errors.append((where, Problem("inline_policy")))
            continue
        meta = r.get(policy, where, "metadata", dict) or {}
        name = r.get(meta, f"{where}.metadata", "name", str) or ""
        conditions = (
            r.get(r.get(policy, where, "spec", dict) or {}, f"{where}.spec", "conditions", list)
            or []
        )
        if len(conditions) != 1 or not isinstance(conditions[0], dict):
            r.errors.append((f"{where}.spec.conditions", Problem("one_condition")))
            continue
        cwhere = f"{where}.spec.conditions[0]"
        cond_meta = conditions[0].get("metadata") or {}
        cond_spec = r.get(conditions[0], cwhere, "spec", dict) or {}
        severity = cond_spec.get("severity")
        if severity not in (Severity.PAGE.value, Severity.TICKET.value):
            r.errors.append((f"{cwhere}.spec.severity", Problem("severity")))
            continue
        condition = r.get(cond_spec, f"{cwhere}.spec", "condition", dict) or {}
        if condition.get("kind") not in ("burnrate", "burn-rate"):
            r.errors.append(
                (f"{cwhere}.spec.condition.kind", Problem("must_be", {"value": "burnrate"}))
            )
        if condition.get("op", "gte") != "gte":
            r.errors.append((f"{cwhere}.spec.condition.op", Problem("must_be", {"value": "gte"})))
        long = r.window(condition.get("lookbackWindow"), f"{cwhere}.spec.condition.lookbackWindow")
        annotations = cond_meta.get("annotations") or {} if isinstance(cond_meta, dict) else {}
        short = r.window(
            annotations.get(f"{ANNOTATION}short-window"),
            f"{cwhere}.metadata.annotations.{ANNOTATION}short-window",
        )
        percent_text = (meta.get("annotations") or {}).get(f"{ANNOTATION}budget-percent")
        percent: Decimal | None
        if percent_text is not None:
            percent = r.decimal(
                percent_text, f"{where}.metadata.annotations.{ANNOTATION}budget-percent"
            )
        else:
            threshold = r.decimal(condition.get("threshold"), f"{cwhere}.spec.condition.threshold")
            # threshold = X/100 * window / L, so X = threshold * L / window * 100.
            percent = (
                None
                if threshold is None or long is None or not window_days
                else threshold * long / (window_days * MINUTES_PER_DAY) * 100
            )
        if long is None or short is None or percent is None or not name:
            continue
        rules.append(AlertRule(name, Severity(severity), percent, long, short))
    return rules
