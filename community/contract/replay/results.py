"""A finished replay's results in words for its page: the clause's standing at the end beside
the live one, the incidents the alerts would have opened beside what the live path did, a
runbook's steps, and a draft budget policy's members and charges beside the live policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from community import words
from community.tiers import Tier

COHORT_WORDS = {
    "newcomers": "New members (first seen under 30 days before)",
    "regulars": "Regulars (first seen 30 days to a year before)",
    "long_standing": "Long-standing members (first seen over a year before)",
}
OUTCOME_WORDS = {
    "declare": "would have opened an incident on the space",
    "suggest": "would have been suggested to the moderators as an incident",
    "join": "would have joined the incident already open there",
}


def _tier(value: str | None) -> str:
    return "" if value is None else Tier(value).value.capitalize()


def _standing(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "title": row["title"],
        "sli": "no data" if row["sli"] is None else words.percent(row["sli"], 2),
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
        where = names.get(row["scope"], "a space") if row["scope"] else "the whole community"
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
                "outcome": OUTCOME_WORDS[row["outcome"]],
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
                "name": COHORT_WORDS[name],
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
                "cohort": COHORT_WORDS[m["cohort"]].split(" (")[0],
                "live": _tier(m["live_tier"]),
                "draft": _tier(m["draft_tier"]),
                "live_room": _room(m["live_remaining"], m["live_allowance"]),
                "draft_room": _room(m["draft_remaining"], m["draft_allowance"]),
            }
            for m in section["changed"]
        ],
        "charges_differ": section["charges_differ"],
        "charges": [
            {
                "member": c["member"],
                "kind": words.event_kind(c["kind"]),
                "severity": c["severity"],
                "at": datetime.fromisoformat(c["occurred_at"]),
                "live": "not counted" if c["live_cost"] is None else words.points(c["live_cost"]),
                "draft": "not counted"
                if c["draft_cost"] is None
                else words.points(c["draft_cost"]),
            }
            for c in section["charges"]
        ],
    }


def _room(remaining: str, allowance: str) -> str:
    return f"{words.points(remaining)} of {words.points(allowance)}"


def _cost(cost: str | None) -> str:
    return "not counted" if cost is None else words.points(cost)


def _policy_words(policy: dict[str, Any]) -> str:
    target = policy["member_target"]
    allowance = (
        f"a fixed allowance of {words.points(policy['floor_points'])}"
        if target is None
        else f"a target of {words.percent(target)}, at least {words.points(policy['floor_points'])}"
    )
    days = words.counted(policy["window_days"], "%(count)s day", "%(count)s days")
    return f"a window of {days}, {allowance}"


def results_context(replay: Any) -> dict[str, Any]:
    results = replay.results or {}
    standing = results.get("standing") or {}
    return {
        "standing": _standing(standing.get("replayed")),
        "live_standing": _standing(standing.get("live")),
        "incidents": _incidents(results.get("incidents"), results.get("space_names", {})),
        "policy": _policy(results.get("policy")),
    }
