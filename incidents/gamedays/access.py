"""The one access helper for game days, shared by the pages and the API: moderators (and API
keys that may read the moderation records, ``read`` or ``moderate``) see them; starting and
finishing need a moderator or a ``moderate`` key; a game day of another community is a 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from community.access import CommunityAccess
from incidents.gamedays.models import GameDay, GameDayQuerySet

MESSAGE = "Only this community's moderators can run game days."


def visible_game_days(access: CommunityAccess) -> GameDayQuerySet:
    if not access.sees_member_records:
        raise PermissionDenied(MESSAGE)
    return GameDay.objects.filter(community=access.community)


def get_game_day(access: CommunityAccess, pk: int, *, write: bool = False) -> GameDay:
    game_day = visible_game_days(access).filter(pk=pk).select_related("sandbox").first()
    if game_day is None:
        raise Http404("No such game day.")
    if write:
        access.require_moderator(MESSAGE)
    return game_day
