"""Access helpers: the only way a page or an API view fetches a protected object of the spine.

Rule of thumb, as in healthchecks: whatever a caller may not see answers 404 (it does not leak
that the object exists); what they may see but not change answers 403.

Every helper takes a :class:`CommunityAccess`, built once per request from either origin:

* a **session user** (:func:`access_for_user`): public communities are readable by anyone,
  members-only ones by their members; moderators and admins moderate;
* an **API key** (:func:`access_for_key`): a key acts for its community, not for a person. A
  moderator creates it for a machine client (a forum plugin, a bot), and its scopes say what it
  may see and do, object by object:

  - ``moderate``: what a moderator may see and change, on the web and through the API alike
    (drafts and retired clauses, every member's records, incidents, cooldowns, runbooks);
  - ``read``: the records the moderators' pages show (every member with their budget, ledger
    and charges; incidents, cooldowns and reports) and the published contract, but not the
    contract's unpublished work (draft and retired clauses need ``moderate``, as they need a
    moderator on the web), and nothing it may change;
  - ``events:write`` alone sees nothing: it sends events, identities and spaces.

  Each API view also declares the scope its endpoint needs (``required_scope``); these helpers
  then decide per object, with the same rule the pages use.

Objects that belong to another object (a runbook step of an incident, a role, a handoff) are
fetched with their parent, which was itself fetched through its helper.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404

from community.models import (
    ApiKey,
    Community,
    Membership,
    MembershipQuerySet,
    Notification,
    Space,
)

type AnyUser = User | AnonymousUser


@dataclass(frozen=True)
class CommunityAccess:
    """A community together with who is asking: a person's membership (if any) or an API key."""

    community: Community
    membership: Membership | None = None
    api_key: ApiKey | None = None

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def is_moderator(self) -> bool:
        """A moderator (or admin) membership, or a key with the ``moderate`` scope."""
        if self.api_key is not None:
            return self.api_key.has_scope("moderate")
        return self.membership is not None and self.membership.is_moderator

    @property
    def sees_member_records(self) -> bool:
        """May see the records moderators work from: every member's budget, ledger and charges,
        incidents, cooldowns and reports. Moderators, and keys with ``read`` or ``moderate``."""
        if self.api_key is not None:
            return self.api_key.has_scope("read") or self.is_moderator
        return self.is_moderator

    def owns(self, membership_id: int) -> bool:
        """Whether ``membership_id`` is the requesting person's own membership."""
        return self.membership is not None and self.membership.pk == membership_id

    def require_moderator(self, message: str = "") -> None:
        """403 for whoever may see the community but not moderate it."""
        if not self.is_moderator:
            raise PermissionDenied(message or "Only this community's moderators can do that.")


def membership_of(user: AnyUser, community: Community) -> Membership | None:
    if not user.is_authenticated:
        return None
    membership = Membership.objects.filter(community=community, user=user).first()
    if membership is not None:
        membership.community = community  # already read: pages reach it without a query
    return membership


def access_for_user(user: AnyUser, slug: str, *, moderate: bool = False) -> CommunityAccess:
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
    if moderate:
        access.require_moderator()
    return access


def access_for_key(key: ApiKey, *, moderate: bool = False) -> CommunityAccess:
    """The key's own community, as the key may see it (see the module docstring)."""
    access = CommunityAccess(community=key.community, api_key=key)
    if moderate:
        access.require_moderator()
    return access


# --- Members and spaces -----------------------------------------------------------------------


def get_membership(access: CommunityAccess, pk: int) -> Membership:
    """A membership's private records: that member, the moderators and ``read`` keys."""
    target = Membership.objects.filter(community=access.community, pk=pk).first()
    if target is None or not (access.owns(target.pk) or access.sees_member_records):
        raise Http404("No such member.")
    target.community = access.community
    return target


def visible_memberships(access: CommunityAccess) -> MembershipQuerySet:
    """The members whose private records ``access`` may see (the rule of
    :func:`get_membership`): everyone for those who see member records, else one's own."""
    members = Membership.objects.filter(community=access.community)
    if access.sees_member_records:
        return members
    if access.membership is None:
        return members.none()
    return members.filter(pk=access.membership.pk)


def get_memberships(access: CommunityAccess, ids: Iterable[int]) -> list[Membership]:
    """The community's members among ``ids`` (for naming parties; missing ids are left out)."""
    if not access.sees_member_records:
        raise Http404("No such member.")
    return list(access.community.memberships.filter(pk__in=list(ids)))


def get_space(access: CommunityAccess, pk: int) -> Space:
    """A space: as visible as its community."""
    space = Space.objects.filter(community=access.community, pk=pk).first()
    if space is None:
        raise Http404("No such space.")
    return space


def get_spaces(access: CommunityAccess, ids: Iterable[int]) -> list[Space]:
    """The community's spaces among ``ids`` (missing ids are left out)."""
    return list(Space.objects.filter(community=access.community, pk__in=list(ids)))


def get_api_key(access: CommunityAccess, pk: UUID | str) -> ApiKey:
    """One of the community's API keys: moderators manage them (403 for others who can see the
    community; 404 for a key of another community)."""
    access.require_moderator()
    key = ApiKey.objects.filter(community=access.community, pk=pk).first()
    if key is None:
        raise Http404("No such API key.")
    return key


def get_notification(access: CommunityAccess, pk: int) -> Notification:
    """One of the requesting person's own notifications (anyone else's answers 404)."""
    if access.membership is None:
        raise Http404("No such notification.")
    found = Notification.objects.filter(
        community=access.community, recipient=access.membership, pk=pk
    ).first()
    if found is None:
        raise Http404("No such notification.")
    return found


def require_membership(access: CommunityAccess) -> Membership:
    """The requesting person's membership; 403 for someone who can see but has not joined."""
    if access.membership is None:
        raise PermissionDenied("Join this community to have notifications here.")
    return access.membership
