"""What the game days package shows inside the incidents pages (through ``incidents.hooks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.gamedays.models import GameDay
from incidents.hooks import RoomLink

if TYPE_CHECKING:
    from community.access import CommunityAccess
    from incidents.models import Incident

REHEARSAL = gettext_lazy("Rehearsal — nothing here touches the real community")
# Before every notice raised inside a sandbox, and its e-mail copy (``community.hidden``).
# Lazy: said in the language of each notice's recipient.
NOTICE_TITLE = gettext_lazy("Rehearsal")
NOTICE_BODY = gettext_lazy(
    "This is a game day rehearsal, a drill: it happened in the rehearsal copy of the community, "
    "and nothing in it touches the real community. No action is needed outside the rehearsal."
)


def rehearsal_banner(access: CommunityAccess, incident: Incident) -> RoomLink | None:
    """In a sandbox's war room: the mark that this is a rehearsal, linking to its game day."""
    game_day = (
        GameDay.objects.filter(sandbox_id=incident.community_id).select_related("community").first()
    )
    if game_day is None:
        return None
    return RoomLink(
        label=str(REHEARSAL),
        url=game_day.get_absolute_url(),
        detail=_("A game day rehearsing “%(runbook)s” on a recorded flame war.")
        % {"runbook": game_day.runbook_name},
    )
