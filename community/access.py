"""Access helpers: the only way a view fetches a protected object of the spine.

Rule of thumb, as in healthchecks: whatever a person may not see answers 404 (it does not leak
that the object exists); what they may see but not change answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404

from community.models import Community, Membership, Space

type AnyUser = User | AnonymousUser


@dataclass(frozen=True)
class CommunityAccess:
    """A community together with the requesting person's membership in it (if any)."""

    community: Community
    membership: Membership | None

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def is_moderator(self) -> bool:
        return self.membership is not None and self.membership.is_moderator


def membership_of(user: AnyUser, community: Community) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(community=community, user=user).first()


def get_community_for_user(user: AnyUser, slug: str, *, moderate: bool = False) -> CommunityAccess:
    """The community at ``slug`` as ``user`` may see it.

    Public communities are readable by anyone; members-only ones by their members. With
    ``moderate=True`` only moderators and admins pass (others who can see it get 403).
    """
    community = Community.objects.filter(slug=slug).first()
    if community is None:
        raise Http404("No such community.")
    membership = membership_of(user, community)
    if membership is None and not community.is_public:
        raise Http404("No such community.")
    access = CommunityAccess(community=community, membership=membership)
    if moderate and not access.is_moderator:
        raise PermissionDenied("Only this community's moderators can do that.")
    return access


def get_membership_for_user(
    user: AnyUser, slug: str, pk: int
) -> tuple[CommunityAccess, Membership]:
    """A membership's private page: visible to that member and to the community's moderators."""
    access = get_community_for_user(user, slug)
    target = Membership.objects.filter(community=access.community, pk=pk).first()
    if target is None:
        raise Http404("No such member.")
    own = access.membership is not None and access.membership.pk == target.pk
    if not (own or access.is_moderator):
        raise Http404("No such member.")
    return access, target


def get_space_for_user(
    user: AnyUser, slug: str, pk: int, *, moderate: bool = False
) -> tuple[CommunityAccess, Space]:
    access = get_community_for_user(user, slug, moderate=moderate)
    space = Space.objects.filter(community=access.community, pk=pk).first()
    if space is None:
        raise Http404("No such space.")
    return access, space
