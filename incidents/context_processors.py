"""The counts the navigation shows on a community's pages: the person's unread notifications and,
for a moderator, how many things wait on "Needs you". Lazy, so a page or partial that does not
render the navigation pays nothing; when it does, one query: the membership with its unread count
and, for moderators, the Needs you count as subqueries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, OuterRef, Q, Value, When
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from community.models import MODERATING_ROLES, Membership
from incidents.needs_you import waiting_count


@dataclass(frozen=True)
class NavCounts:
    unread: int = 0
    needs_you: int = 0


def _counts(request: HttpRequest) -> NavCounts:
    match = request.resolver_match
    slug = match.kwargs.get("slug") if match is not None else None
    user = getattr(request, "user", None)
    if not slug or user is None or not user.is_authenticated:
        return NavCounts()
    membership = (
        Membership.objects.filter(community__slug=slug, user=user)
        .annotate(
            unread_count=Count(
                "notifications",
                filter=Q(notifications__read_at__isnull=True, notifications__in_app=True),
            ),
            waiting=Case(
                When(role__in=MODERATING_ROLES, then=waiting_count(OuterRef("community_id"))),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .values("unread_count", "waiting")
        .first()
    )
    if membership is None:
        return NavCounts()
    return NavCounts(unread=membership["unread_count"], needs_you=membership["waiting"])


def navigation(request: HttpRequest) -> dict[str, object]:
    return {"nav_counts": SimpleLazyObject(lambda: _counts(request))}
