"""What is waiting for a person, gathered from apps the spine does not know.

The "Needs you" read model (``incidents/needs_you.py``) lists everything waiting for a
moderator. Most of it lives in apps it may import; what lives in ``integrations`` (which nobody
imports) reaches it through this registry: the app registers a source in ``AppConfig.ready``.

A source gives two things: ``waiting(community)``, a QuerySet of the rows waiting (so every
source can be counted in one query for the navigation), and ``items(community, rows)``, those
rows as :class:`Item` for the page. The module also holds the personal-home hook: the spine's
community page asks the registered provider for the section it leads with (Needs you for a
moderator, the member's own home for a member).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import QuerySet

if TYPE_CHECKING:
    from community.access import CommunityAccess
    from community.models import Community


@dataclass(frozen=True)
class Item:
    """One thing waiting for a person, with its one primary action."""

    kind: str  # a short machine name, used only for ids and CSS ("appeal", "report", …)
    key: str  # unique on the page together with ``kind`` (the row's id)
    title: str
    detail: str
    since: datetime
    action: str  # the words on the primary action ("Decide", "Find a facilitator")
    url: str

    @property
    def dom_id(self) -> str:
        return f"needs-{self.kind}-{self.key}"


class Source(Protocol):
    name: str

    def waiting(self, community: Community) -> QuerySet[Any]: ...

    def items(self, community: Community, rows: QuerySet[Any]) -> Sequence[Item]: ...


_SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> None:
    """Register a source (idempotent by name, so a second ``ready`` does not add it twice)."""
    _SOURCES[source.name] = source


def registered_sources() -> list[Source]:
    return list(_SOURCES.values())


# --- The personal home ------------------------------------------------------------------------

# (access) -> (template name, context) of the section the community page leads with, or None.
type HomeSection = Callable[[CommunityAccess], tuple[str, dict[str, Any]] | None]

_HOME: list[HomeSection] = []


def register_home_section(provider: HomeSection) -> None:
    if provider not in _HOME:
        _HOME.append(provider)


def home_section(access: CommunityAccess) -> tuple[str, dict[str, Any]] | None:
    for provider in _HOME:
        found = provider(access)
        if found is not None:
            return found
    return None
