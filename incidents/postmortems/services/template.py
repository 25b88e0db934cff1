"""The postmortem's template: its sections filled with the incident's timeline and figures."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.db.models import Count, Q

from community.models import ConductEvent
from community.vocabulary import FRICTION_KINDS
from incidents import rules as incident_rules
from incidents.models import Incident, TimelineEntry
from incidents.postmortems.sections import SECTIONS
from incidents.services import incident_metrics


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def incident_figures(incident: Incident) -> dict[str, Any]:
    """The incident's numbers, as stored with the postmortem (impact in numbers)."""
    metrics = incident_metrics(incident)
    spaces = list(incident.spaces.order_by("name"))
    end = incident.resolved_at or incident.closed_at
    posts = members = 0
    if spaces and end is not None:
        counts = ConductEvent.objects.filter(
            community=incident.community,
            space__in=spaces,
            occurred_at__gte=incident.declared_at,
            occurred_at__lte=end,
        ).aggregate(
            posts=Count("pk", filter=Q(kind="post")),
            members=Count("member", distinct=True, filter=Q(kind__in=("post", *FRICTION_KINDS))),
        )
        posts, members = int(counts["posts"]), int(counts["members"])
    return {
        "budget": [
            {"clause": c.get("title", ""), "percent": c.get("percent", "0")}
            for c in incident.cost_detail or []
        ],
        "bad_events": incident.cost_bad_events or 0,
        "posts": posts,
        "members": members,
        "spaces": [s.name for s in spaces],
        "duration": incident_rules.humanize_duration(metrics.to_resolution),
        "to_facilitator": incident_rules.humanize_duration(metrics.to_facilitator),
        "to_cooldown": incident_rules.humanize_duration(metrics.to_cooldown),
        "to_resolution": incident_rules.humanize_duration(metrics.to_resolution),
    }


def impact_text(figures: dict[str, Any]) -> str:
    lines = []
    for row in figures.get("budget", []):
        lines.append(f"“{row['clause']}”: {row['percent']} % of its room for the month.")
    where = ", ".join(figures.get("spaces", [])) or "the whole community"
    bad = _plural(
        int(figures.get("bad_events", 0)), "upheld flag or warning", "upheld flags or warnings"
    )
    posts = _plural(int(figures.get("posts", 0)), "post", "posts")
    members = _plural(int(figures.get("members", 0)), "member", "members")
    lines.append(f"{bad}, {posts} and {members} in {where}.")
    lines.append(
        f"It lasted {figures.get('duration', '—')}: a facilitator after "
        f"{figures.get('to_facilitator', '—')}, a cooldown after "
        f"{figures.get('to_cooldown', '—')}, resolved after {figures.get('to_resolution', '—')}."
    )
    return "\n".join(lines)


def timeline_text(incident: Incident) -> str:
    entries = TimelineEntry.objects.filter(incident=incident).order_by("at", "pk")
    return "\n".join(f"{e.at.astimezone(UTC):%d %b %H:%M} UTC · {e.text}" for e in entries)


def initial_sections(incident: Incident, figures: dict[str, Any]) -> dict[str, str]:
    """Each section's first words: the figures and timeline filled in, the rest empty (the
    editor shows each section's prompt beside it)."""
    bodies = {spec.key: "" for spec in SECTIONS}
    bodies["summary"] = incident.resolution_summary or incident.summary
    bodies["impact"] = impact_text(figures)
    bodies["timeline"] = timeline_text(incident)
    return bodies
