"""Template filters over ``community.words``: ``{% load words %}``, then e.g.
``{{ action|tier_action }}``, ``{{ clause.target|percent }}``, ``{{ n|points }}``,
``{{ rate|burn_rate:30 }}``, ``{% post_link charge.event.subject community %}``."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from community import words
from community.models import Clause, ClauseAlert, Community
from community.tier_words import tier_label

register = template.Library()

register.filter("tier_action", words.tier_action)
register.filter("tier_name", tier_label)


@register.filter
def space_names(spaces: object) -> str:
    """Spaces by name, "Proposals and Garden"; none is "the community"."""
    names = [str(space.name) for space in spaces]  # type: ignore[attr-defined]
    return _(" and ").join(names) if names else _("the community")


@register.filter
def space_list(spaces: object) -> str:
    """Spaces by name, separated by commas: "Proposals, Garden" (a list, not a sentence)."""
    return ", ".join(str(space.name) for space in spaces)  # type: ignore[attr-defined]


register.filter("flag_category", words.flag_category)
register.filter("alert_rule", words.alert_rule)
register.filter("domain_event_type", words.domain_event_type)
register.filter("identifier", words.identifier)
register.filter("points", words.points)
register.filter("burn_factor", words.burn_factor)
register.filter("without_post_ids", words.without_post_ids)
register.filter("minutes", words.minutes)


@register.filter
def clause_burn_rate(rate: object, window_days: int = 30) -> str:
    return words.clause_burn_rate(rate, int(window_days))


@register.filter
def alert_summary(alert: ClauseAlert) -> str:
    """A ``ClauseAlert``'s numbers in one sentence (``community.words.alert_summary``)."""
    return words.clause_alert_summary(alert)


@register.filter
def clause_title(clause: Clause) -> str:
    """A clause's title in the reader's language (``Clause.title_in``), else its own."""
    return clause.title_in()


@register.filter
def percent(ratio: object, places: int = 1) -> str:
    return words.percent(ratio, int(places))


@register.filter
def rounded(value: object, places: int = 1) -> str:
    return words.rounded(value, int(places))


@register.filter
def event_kind(kind: str, count: int = 1) -> str:
    return words.event_kind(kind, int(count))


@register.filter
def burn_rate(rate: object, window_days: int = 30) -> str:
    return words.burn_rate(rate, window_days=int(window_days))


@register.simple_tag
def post_link(subject: str, community: Community | None = None) -> SafeString:
    """ "post 4437" linked to the forum where the community has one; "a post" otherwise."""
    url = words.post_url(subject, community)
    if url:
        return format_html('<a href="{}">{}</a>', url, words.post_words(subject))
    return format_html("{}", words.unlinked_post())
