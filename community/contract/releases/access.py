"""Access helpers of the releases package: the only way its views and API fetch a trial, a
council group or an answer. Trials and the council are as visible as the contract itself
(members read which version applies to them); changing them needs a moderator (403), and
answering for a group needs its delegate (the service refuses anyone else)."""

from __future__ import annotations

from django.http import Http404

from community.access import CommunityAccess
from community.contract.releases.models import Canary, CanaryQuerySet, CouncilGroup


def visible_canaries(access: CommunityAccess) -> CanaryQuerySet:
    return Canary.objects.filter(community=access.community).prefetch_related("spaces")


def get_canary(access: CommunityAccess, pk: int, *, write: bool = False) -> Canary:
    canary = visible_canaries(access).filter(pk=pk).select_related("base_version").first()
    if canary is None:
        raise Http404("No such trial.")
    if write:
        access.require_moderator("Only this community's moderators can promote or roll back.")
    return canary


def get_group(access: CommunityAccess, pk: int) -> CouncilGroup:
    group = (
        CouncilGroup.objects.filter(council__community=access.community, pk=pk)
        .select_related("council", "delegate", "space")
        .first()
    )
    if group is None:
        raise Http404("No such council group.")
    return group
