"""The postmortem's template: its sections filled with the incident's timeline and figures.

The figures are stored as numbers (durations in whole minutes); the first words of the impact
section are written once, in the community's language (the draft is the community's own
document, whoever or whatever started it), and then belong to the people who edit them."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.models import ConductEvent
from community.vocabulary import FRICTION_KINDS
from incidents.models import Incident, TimelineEntry
from incidents.postmortems.sections import SECTIONS
from incidents.services import incident_metrics
from incidents.words import duration, minutes


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
        "minutes_to_facilitator": minutes(metrics.to_facilitator),
        "minutes_to_cooldown": minutes(metrics.to_cooldown),
        "minutes_to_resolution": minutes(metrics.to_resolution),
    }


def _took(figures: dict[str, Any], name: str) -> str:
    value = figures.get(f"minutes_to_{name}")
    return duration(None if value is None else timedelta(minutes=int(value)))


def impact_text(figures: dict[str, Any]) -> str:
    """The impact section's first words, in the language active now."""
    lines = [
        _("“%(clause)s”: %(percent)s %% of its room for the month.")
        % {"clause": row["clause"], "percent": row["percent"]}
        for row in figures.get("budget", [])
    ]
    bad, posts, members = (int(figures.get(k, 0)) for k in ("bad_events", "posts", "members"))
    lines.append(
        _("%(bad)s, %(posts)s and %(members)s in %(where)s.")
        % {
            "bad": ngettext("%(n)s upheld flag or warning", "%(n)s upheld flags or warnings", bad)
            % {"n": bad},
            "posts": ngettext("%(n)s post", "%(n)s posts", posts) % {"n": posts},
            "members": ngettext("%(n)s member", "%(n)s members", members) % {"n": members},
            "where": ", ".join(figures.get("spaces", [])) or _("the whole community"),
        }
    )
    lines.append(
        _(
            "It lasted %(duration)s: a facilitator after %(to_facilitator)s, a cooldown after "
            "%(to_cooldown)s, resolved after %(to_resolution)s."
        )
        % {
            "duration": _took(figures, "resolution"),
            "to_facilitator": _took(figures, "facilitator"),
            "to_cooldown": _took(figures, "cooldown"),
            "to_resolution": _took(figures, "resolution"),
        }
    )
    return "\n".join(lines)


def timeline_text(incident: Incident) -> str:
    """The timeline section's first words, each entry with its time in the language active now
    (the entries themselves are quoted as they were written)."""
    entries = TimelineEntry.objects.filter(incident=incident).order_by("at", "pk")
    # Translators: the time of a timeline entry quoted in a postmortem (Django date format).
    when = _("d M H:i")
    return "\n".join(
        f"{formats.date_format(e.at.astimezone(UTC), when)} UTC · {e.text}" for e in entries
    )


def initial_sections(incident: Incident, figures: dict[str, Any]) -> dict[str, str]:
    """Each section's first words: the figures and timeline filled in, the rest empty (the
    editor shows each section's prompt beside it)."""
    bodies = {spec.key: "" for spec in SECTIONS}
    bodies["summary"] = incident.resolution_summary or incident.summary
    with translation.override(incident.community.default_language or settings.LANGUAGE_CODE):
        bodies["impact"] = impact_text(figures)
        bodies["timeline"] = timeline_text(incident)
    return bodies
