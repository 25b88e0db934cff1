"""Hooks through which feature packages built on ``incidents`` (the postmortems package) take
part in an incident's life without ``incidents`` importing them.

* **Close guards**: before an incident closes, each registered guard may refuse with a message
  (``ServiceError``). The postmortems package registers "an incident that requires a
  restorative postmortem cannot close without a published one".
* **Room links**: the war room shows a link per registered provider (the postmortem, from the
  incident's page).

Packages register in their ``AppConfig.ready`` (idempotent, so a second ``ready`` adds nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.access import CommunityAccess
    from incidents.models import Incident


# (incident) -> why it cannot close yet, or None.
type CloseGuard = Callable[[Incident], str | None]


@dataclass(frozen=True)
class RoomLink:
    label: str
    url: str
    detail: str = ""


# (access, incident) -> a link for the war room, or None.
type RoomLinkProvider = Callable[[CommunityAccess, Incident], RoomLink | None]

_CLOSE_GUARDS: dict[str, CloseGuard] = {}
_ROOM_LINKS: dict[str, RoomLinkProvider] = {}


def register_close_guard(name: str, guard: CloseGuard) -> None:
    _CLOSE_GUARDS[name] = guard


def close_refusals(incident: Incident) -> list[str]:
    """Every registered guard's reason why ``incident`` cannot close (empty: it may)."""
    return [reason for guard in _CLOSE_GUARDS.values() if (reason := guard(incident))]


def register_room_link(name: str, provider: RoomLinkProvider) -> None:
    _ROOM_LINKS[name] = provider


def room_links(access: CommunityAccess, incident: Incident) -> list[RoomLink]:
    return [link for p in _ROOM_LINKS.values() if (link := p(access, incident)) is not None]
