"""The one way a page or the API fetches a replay: moderators (and read-only moderators, keys
with ``read``) may see; only moderators may ask for or dismiss one (403); others get 404."""

from __future__ import annotations

from django.http import Http404

from community.access import CommunityAccess
from community.contract.replay.models import Replay, ReplayQuerySet


def kept_replays(access: CommunityAccess) -> ReplayQuerySet:
    if not access.sees_member_records:
        raise Http404("No such page.")
    return Replay.objects.filter(community=access.community).kept()


def get_replay(access: CommunityAccess, pk: int, *, write: bool = False) -> Replay:
    replay = kept_replays(access).filter(pk=pk).first()
    if replay is None:
        raise Http404("No such replay.")
    if write:
        access.require_moderator("Only this community's moderators can dismiss a replay.")
    return replay
