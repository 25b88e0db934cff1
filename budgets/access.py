"""Access helpers: the only way a page or an API view fetches a protected object of budgets.

A member's budget, charges and appeals are private to that member and to whoever sees the
community's member records (its moderators; API keys with ``read``, see ``community.access``):
anyone else gets 404. What a caller may see but not change gets 403.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.http import Http404

from budgets.models import Appeal, Charge
from community.access import CommunityAccess, get_membership
from community.models import Membership


def get_own_membership(access: CommunityAccess) -> Membership:
    """*My budget*: the requesting person's own membership (404 when they have none)."""
    if access.membership is None:
        raise Http404("You are not a member of this community.")
    return access.membership


def get_budget_member(access: CommunityAccess, pk: int) -> Membership:
    """A member's budget and ledger: that member and whoever sees member records; 404 else."""
    return get_membership(access, pk)


def _check_charge(access: CommunityAccess, charge: Charge, *, appeal: bool, forgive: bool) -> None:
    own = access.owns(charge.membership_id)
    if not (own or access.sees_member_records):
        raise Http404("No such charge.")
    if appeal and not own:
        raise PermissionDenied("Only the member a charge belongs to can appeal it.")
    if forgive:
        access.require_moderator("Only this community's moderators can forgive a charge.")
        if own:
            raise PermissionDenied("Your own charges are forgiven by another moderator.")


def get_charge(
    access: CommunityAccess, pk: int, *, appeal: bool = False, forgive: bool = False
) -> Charge:
    """A charge, seen by its member and whoever sees member records (404 for others).
    Appealing is for the charge's own member; forgiving is for moderators, never of their own
    charges (403 for those who can only see it)."""
    charge = (
        Charge.objects.filter(community=access.community, pk=pk)
        .select_related("membership", "community")
        .first()
    )
    if charge is None:
        raise Http404("No such charge.")
    _check_charge(access, charge, appeal=appeal, forgive=forgive)
    return charge


def get_charges(
    access: CommunityAccess, ids: Iterable[int], *, forgive: bool = False
) -> list[Charge]:
    """The community's charges among ``ids``, each under the rule of :func:`get_charge`
    (ids of other communities are left out, for the caller to name)."""
    charges = list(
        Charge.objects.filter(community=access.community, pk__in=list(ids)).select_related(
            "membership", "community"
        )
    )
    for charge in charges:
        _check_charge(access, charge, appeal=False, forgive=forgive)
    return charges


def get_appeal(access: CommunityAccess, pk: int) -> Appeal:
    """An appeal, for the moderators who decide it (403 for others who see the community)."""
    access.require_moderator()
    appeal = (
        Appeal.objects.filter(community=access.community, pk=pk)
        .select_related("charge__event", "membership", "decided_by")
        .first()
    )
    if appeal is None:
        raise Http404("No such appeal.")
    return appeal


def get_appeals(access: CommunityAccess) -> list[Appeal]:
    """Every appeal of the community, pending first (moderators only, 403 for others)."""
    access.require_moderator()
    return list(
        Appeal.objects.filter(community=access.community)
        .select_related("charge__event", "membership", "decided_by")
        .order_by("-status", "filed_at")
    )


def count_waiting_appeals(access: CommunityAccess) -> int:
    """How many appeals wait for a decision (moderators only, 403 for others)."""
    access.require_moderator()
    return Appeal.objects.filter(community=access.community).pending().count()
