"""Access helpers of the social contract: the only way a view fetches a clause or a version.

The same rule as the spine's helpers (``community.access``): what a person may not see answers
404, what they may see but not change answers 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from community.access import AnyUser, CommunityAccess, get_community_for_user
from community.models import Clause, ContractVersion


def get_clause_for_user(
    user: AnyUser, slug: str, pk: int, *, write: bool = False
) -> tuple[CommunityAccess, Clause]:
    """A clause: live ones are as visible as the contract; drafts and retired ones only to
    moderators (for everyone else they do not exist). ``write`` needs a moderator (403)."""
    access = get_community_for_user(user, slug)
    clause = Clause.objects.filter(community=access.community, pk=pk).first()
    if clause is None or not (clause.is_live or access.is_moderator):
        raise Http404("No such clause.")
    if write and not access.is_moderator:
        raise PermissionDenied("Only this community's moderators can change the contract.")
    return access, clause


def get_version_for_user(
    user: AnyUser, slug: str, number: int
) -> tuple[CommunityAccess, ContractVersion]:
    """A published version: readable by whoever can see the community."""
    access = get_community_for_user(user, slug)
    version = (
        ContractVersion.objects.filter(contract__community=access.community, number=number)
        .select_related("contract")
        .first()
    )
    if version is None:
        raise Http404("No such version.")
    return access, version
