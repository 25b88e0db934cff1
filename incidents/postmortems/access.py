"""Access helpers for postmortems: the only way a page or an API view fetches a postmortem, a
finding or an action item (web and API share them through ``CommunityAccess``).

Who reads a postmortem depends on its visibility:

* moderators (and ``read`` / ``moderate`` keys) read every postmortem in full;
* a participant who accepted reads it in full when the visibility is the circle or public;
* with a public visibility and the public summary published, everyone who sees the community
  reads **the public summary only** (never the private sections);
* anyone else: 404 (it is not theirs to know of).

Changing the document needs a moderator (or a ``moderate`` key). An action item's owner may
also mark their own item done or reopen it.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from community.access import CommunityAccess
from incidents.postmortems.models import (
    ActionItem,
    BlamelessFinding,
    Consent,
    Postmortem,
    PublicSummaryState,
    Visibility,
)
from incidents.postmortems.models.action_items import ActionItemQuerySet
from incidents.postmortems.models.document import PostmortemQuerySet

WRITE_MESSAGE = "Only this community's moderators can change postmortems."
NOT_FOUND = "No such postmortem."


class Reading(StrEnum):
    FULL = "full"
    SUMMARY = "summary"  # the public summary only


def _is_circle_member(access: CommunityAccess, doc: Postmortem) -> bool:
    return (
        access.membership is not None
        and doc.participants.filter(membership=access.membership, consent=Consent.ACCEPTED).exists()
    )


def reading_of(access: CommunityAccess, doc: Postmortem) -> Reading | None:
    """How much of ``doc`` ``access`` may read (None: nothing, not even that it exists)."""
    if doc.community_id != access.community.pk:
        return None
    if access.sees_member_records:
        return Reading.FULL
    if doc.visibility != Visibility.MODERATORS and _is_circle_member(access, doc):
        return Reading.FULL
    if (
        doc.visibility == Visibility.PUBLIC
        and doc.public_summary_state == PublicSummaryState.PUBLISHED
    ):
        return Reading.SUMMARY
    return None


def visible_postmortems(access: CommunityAccess) -> PostmortemQuerySet:
    """The postmortems ``access`` may read at least in part, newest first."""
    docs = Postmortem.objects.for_community(access.community).select_related("incident")
    if access.sees_member_records:
        return docs
    public = Q(visibility=Visibility.PUBLIC, public_summary_state=PublicSummaryState.PUBLISHED)
    if access.membership is None:
        return docs.filter(public)
    circle = Q(
        participants__membership=access.membership,
        participants__consent=Consent.ACCEPTED,
    ) & ~Q(visibility=Visibility.MODERATORS)
    return docs.filter(public | circle).distinct()


def read_postmortem(access: CommunityAccess, pk: int) -> tuple[Postmortem, Reading]:
    """A postmortem and how much of it ``access`` may read (404 when nothing)."""
    doc = (
        Postmortem.objects.filter(community=access.community, pk=pk)
        .select_related("incident", "community")
        .first()
    )
    reading = reading_of(access, doc) if doc is not None else None
    if doc is None or reading is None:
        raise Http404(NOT_FOUND)
    return doc, reading


def get_postmortem(access: CommunityAccess, pk: int, *, write: bool = False) -> Postmortem:
    """A postmortem read in full (404 for whoever may not; a reader of the public summary only
    gets 404 here too); ``write`` needs a moderator (403)."""
    doc, reading = read_postmortem(access, pk)
    if reading != Reading.FULL:
        raise Http404(NOT_FOUND)
    if write:
        access.require_moderator(WRITE_MESSAGE)
    return doc


def get_finding(access: CommunityAccess, doc: Postmortem, pk: int) -> BlamelessFinding:
    """A finding of ``doc`` (fetched through :func:`get_postmortem` with ``write``)."""
    if doc.community_id != access.community.pk:
        raise Http404(NOT_FOUND)
    access.require_moderator(WRITE_MESSAGE)
    finding = BlamelessFinding.objects.filter(postmortem=doc, pk=pk).first()
    if finding is None:
        raise Http404("No such passage.")
    return finding


def visible_action_items(access: CommunityAccess) -> ActionItemQuerySet:
    """Every action item of the community (moderation records: 403 for others)."""
    if not access.sees_member_records:
        raise PermissionDenied("Only this community's moderators can see every action item.")
    return ActionItem.objects.filter(community=access.community).select_related(
        "owner", "postmortem__incident", "verify_clause"
    )


def get_action_item(
    access: CommunityAccess, pk: int, *, write: bool = False, status_only: bool = False
) -> ActionItem:
    """An action item: whoever reads its postmortem in full sees it (404 otherwise). ``write``
    needs a moderator (403); with ``status_only`` its owner may also change its status."""
    item = (
        ActionItem.objects.filter(community=access.community, pk=pk)
        .select_related("postmortem", "owner", "verify_clause")
        .first()
    )
    if item is None:
        raise Http404("No such action item.")
    owner = status_only and access.owns(item.owner_id)
    if reading_of(access, item.postmortem) != Reading.FULL and not owner:
        raise Http404("No such action item.")
    if write and not owner:
        access.require_moderator("Only this community's moderators (or the item's owner) can.")
    return item
