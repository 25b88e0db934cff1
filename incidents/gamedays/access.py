"""The one access helper for game days (web pages share it through ``CommunityAccess``):
moderators only; a game day of another community is a 404."""

from __future__ import annotations

from django.http import Http404

from community.access import CommunityAccess
from incidents.gamedays.models import GameDay, GameDayQuerySet

MESSAGE = "Only this community's moderators can run game days."


def visible_game_days(access: CommunityAccess) -> GameDayQuerySet:
    access.require_moderator(MESSAGE)
    return GameDay.objects.filter(community=access.community)


def get_game_day(access: CommunityAccess, pk: int) -> GameDay:
    game_day = visible_game_days(access).filter(pk=pk).select_related("sandbox").first()
    if game_day is None:
        raise Http404("No such game day.")
    return game_day
