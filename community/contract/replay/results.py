"""A finished replay's results in words for its page: the clause's standing at the end beside
the live one, the incidents the alerts would have opened beside what the live path did, a
runbook's steps, and a draft budget policy's members and charges beside the live policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community import words
from community.tier_words import tier_label
from community.tiers import Tier

COHORT_WORDS = {
    "newcomers": gettext_lazy("New members (first seen under 30 days before)"),
    "regulars": gettext_lazy("Regulars (first seen 30 days to a year before)"),
    "long_standing": gettext_lazy("Long-standing members (first seen over a year before)"),
}
COHORT_NAMES = {
    "newcomers": gettext_lazy("New members"),
    "regulars": gettext_lazy("Regulars"),
    "long_standing": gettext_lazy("Long-standing members"),
}
OUTCOME_WORDS = {
    "declare": gettext_lazy("would have opened an incident on the space"),
    "suggest": gettext_lazy("would have been suggested to the moderators as an incident"),
    "join": gettext_lazy("would have joined the incident already open there"),
}


def _tier(value: str | None) -> str:
    return "" if value is None else tier_label(value)


def _standing(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "title": row["title"],
        "sli": _("no data") if row["sli"] is None else words.percent(row["sli"], 2),
        "budget": words.percent(row["budget_remaining"]),
        "tier": _tier(row["tier"]),
        "counts": words.bad_of_total(row["bad"], row["total"]),
        "window": words.window_words(row["window_days"]),
    }


def _incidents(section: dict[str, Any] | None, names: dict[str, str]) -> dict[str, Any] | None:
    if section is None:
        return None
    rows = []
    for row in section["replayed"]:
        where = names.get(row["scope"], _("a space")) if row["scope"] else _("the whole community")
        steps = None
        if "runbook" in row:
            runbook = row["runbook"]
            steps = {
                "by_itself": runbook["starts_by_itself"],
                "run": [s["title"] for s in runbook["steps"] if s["runs"]],
                "skipped": [s["title"] for s in runbook["steps"] if not s["runs"]],
            }
        rows.append(
            {
                "at": datetime.fromisoformat(row["at"]),
                "rule": row["rule"],
                "where": where,
                "outcome": str(OUTCOME_WORDS[row["outcome"]]),
                "incident": row.get("incident", ""),
                "steps": steps,
            }
        )
    live = section["live"]
    return {
        "as_suggestions": section["takes_alerts_as"] == "suggestions",
        "runbook": section["runbook"],
        "rows": rows,
        "declared": [
            {"title": i["title"], "at": datetime.fromisoformat(i["at"])} for i in live["declared"]
        ],
        "suggested": [datetime.fromisoformat(r["at"]) for r in live["suggested"]],
        "runbook_runs": [datetime.fromisoformat(at) for at in live["runbook_runs"]],
    }


def _tier_rows(live: dict[str, int], draft: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"tier": _tier(t.value), "live": live.get(t.value, 0), "draft": draft.get(t.value, 0)}
        for t in Tier
    ]


def _policy(section: dict[str, Any] | None) -> dict[str, Any] | None:
    if section is None:
        return None
    cohorts = []
    for name, figures in section["by_cohort"].items():
        cohorts.append(
            {
                "name": str(COHORT_WORDS[name]),
                "hidden": figures is None,
                "members": 0 if figures is None else figures["members"],
                "changed": 0 if figures is None else figures["changed"],
                "tiers": [] if figures is None else _tier_rows(figures["live"], figures["draft"]),
            }
        )
    return {
        "at": datetime.fromisoformat(section["at"]),
        "live_policy": _policy_words(section["live_policy"]),
        "draft_policy": _policy_words(section["draft_policy"]),
        "members": section["members"],
        "tiers": _tier_rows(section["by_tier"]["live"], section["by_tier"]["draft"]),
        "cohorts": cohorts,
        "changed_count": section["changed_count"],
        "changed": [
            {
                "name": m["name"],
                "cohort": str(COHORT_NAMES[m["cohort"]]),
                "live": _tier(m["live_tier"]),
                "draft": _tier(m["draft_tier"]),
                "live_room": _room(m["live_remaining"], m["live_allowance"]),
                "draft_room": _room(m["draft_remaining"], m["draft_allowance"]),
            }
            for m in section["changed"]
        ],
        "period": _period(section.get("period")),
        "charges_differ": section["charges_differ"],
        "charges": [
            {
                "member": c["member"],
                "kind": words.event_kind(c["kind"]),
                "severity": c["severity"],
                "at": datetime.fromisoformat(c["occurred_at"]),
                "live": _cost(c["live_cost"]),
                "draft": _cost(c["draft_cost"]),
            }
            for c in section["charges"]
        ],
    }


def _period(section: dict[str, Any] | None) -> dict[str, Any] | None:
    if section is None:
        return None
    worst, entered = section["worst"], section["entered"]
    return {
        "start": datetime.fromisoformat(section["from"]),
        "members": section["members"],
        "tiers": [
            {
                "tier": _tier(t.value),
                "live_worst": worst["live"][t.value],
                "draft_worst": worst["draft"][t.value],
                "live_entered": entered["live"][t.value],
                "draft_entered": entered["draft"][t.value],
            }
            for t in Tier
        ],
        "differ_count": section["differ_count"],
        "differ": [
            {
                "name": m["name"],
                "live": _path_words(m["live_worst"], m["live_entered"]),
                "draft": _path_words(m["draft_worst"], m["draft_entered"]),
            }
            for m in section["differ"]
        ],
    }


def _path_words(worst: str, entered: list[str]) -> str:
    if not entered:
        return _("at worst %(tier)s, no change of tier") % {"tier": _tier(worst)}
    return _("at worst %(tier)s, entered %(tiers)s") % {
        "tier": _tier(worst),
        "tiers": ", ".join(_tier(t) for t in entered),
    }


def _room(remaining: str, allowance: str) -> str:
    return _("%(remaining)s of %(allowance)s") % {
        "remaining": words.points(remaining),
        "allowance": words.points(allowance),
    }


def _cost(cost: str | None) -> str:
    return _("not counted") if cost is None else words.points(cost)


def _policy_words(policy: dict[str, Any]) -> str:
    target = policy["member_target"]
    days = words.counted(policy["window_days"], "%(count)s day", "%(count)s days")
    floor = words.points(policy["floor_points"])
    if target is None:
        return _("a window of %(days)s, a fixed allowance of %(floor)s") % {
            "days": days,
            "floor": floor,
        }
    return _("a window of %(days)s, a target of %(target)s, at least %(floor)s") % {
        "days": days,
        "target": words.percent(target),
        "floor": floor,
    }


def results_context(replay: Any) -> dict[str, Any]:
    results = replay.results or {}
    standing = results.get("standing") or {}
    return {
        "standing": _standing(standing.get("replayed")),
        "live_standing": _standing(standing.get("live")),
        "incidents": _incidents(results.get("incidents"), results.get("space_names", {})),
        "policy": _policy(results.get("policy")),
    }
