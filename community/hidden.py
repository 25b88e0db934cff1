"""Communities that exist only behind another one (a game day's rehearsal sandbox) and are
left out of community lists and the /metrics community gauges. The package that owns them
registers a source of their ids in ``AppConfig.ready``; the spine never imports it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from community.models import Community

# () -> a QuerySet of community ids (``values("...")``) to leave out of lists.
type HiddenSource = Callable[[], QuerySet[Any]]

_SOURCES: dict[str, HiddenSource] = {}


def register_hidden_communities(name: str, source: HiddenSource) -> None:
    _SOURCES[name] = source


def listed(communities: QuerySet[Community]) -> QuerySet[Community]:
    """``communities`` without the hidden ones (one subquery per source, no extra query)."""
    for source in _SOURCES.values():
        communities = communities.exclude(pk__in=source())
    return communities
