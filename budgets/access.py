"""Access helpers: the only way a view fetches a protected object of the budgets app.

A member's budget, charges and appeals are private to that member and the community's
moderators: anyone else gets 404. What a person may see but not change gets 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from budgets.models import Appeal, Charge
from community.access import AnyUser, CommunityAccess, get_community_for_user
from community.access import get_membership_for_user as get_member_for_user
from community.models import Membership


def get_own_membership(user: AnyUser, slug: str) -> tuple[CommunityAccess, Membership]:
    """*My budget*: the requesting person's own membership (404 when they have none)."""
    access = get_community_for_user(user, slug)
    if access.membership is None:
        raise Http404("You are not a member of this community.")
    return access, access.membership


def get_budget_member_for_user(
    user: AnyUser, slug: str, pk: int
) -> tuple[CommunityAccess, Membership]:
    """A member's budget page: that member and the moderators; 404 for everyone else."""
    return get_member_for_user(user, slug, pk)


def get_charge_for_user(
    user: AnyUser, slug: str, pk: int, *, appeal: bool = False, forgive: bool = False
) -> tuple[CommunityAccess, Charge]:
    """A charge, seen by its member and the moderators (404 for others). Appealing is for the
    charge's own member; forgiving is for moderators (403 for those who can only see it)."""
    access = get_community_for_user(user, slug)
    charge = (
        Charge.objects.filter(community=access.community, pk=pk)
        .select_related("membership", "community")
        .first()
    )
    if charge is None:
        raise Http404("No such charge.")
    own = access.membership is not None and access.membership.pk == charge.membership_id
    if not (own or access.is_moderator):
        raise Http404("No such charge.")
    if appeal and not own:
        raise PermissionDenied("Only the member a charge belongs to can appeal it.")
    if forgive and not access.is_moderator:
        raise PermissionDenied("Only this community's moderators can forgive a charge.")
    if forgive and own:
        raise PermissionDenied("Your own charges are forgiven by another moderator.")
    return access, charge


def get_appeal_for_moderator(user: AnyUser, slug: str, pk: int) -> tuple[CommunityAccess, Appeal]:
    access = get_community_for_user(user, slug, moderate=True)
    appeal = (
        Appeal.objects.filter(community=access.community, pk=pk)
        .select_related("charge", "membership", "decided_by")
        .first()
    )
    if appeal is None:
        raise Http404("No such appeal.")
    return access, appeal
