"""What the forum connection leaves for a moderator, offered to "Needs you" through the spine's
registry (nobody imports this app): forum calls that failed for good, recently, and inbound
deliveries set aside after repeated failures (each with its *Try again*)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.attention import Item
from community.models import Community
from integrations.models import (
    ActionStatus,
    DeliveryStatus,
    DiscourseConnection,
    ForumAction,
    InboundDelivery,
)


def forum_base_url(community: Community) -> str:
    """The address of the community's forum, so pages can link a post (``community.words``)."""
    base = (
        DiscourseConnection.objects.filter(community=community)
        .values_list("base_url", flat=True)
        .first()
    )
    return base or ""


# A failed call cannot be tried again (the moment has passed); it is shown for a week so that
# someone sees it and checks the forum by hand.
FAILED_CALLS_SHOWN_FOR = timedelta(days=7)


class FailedForumCalls:
    name = "forum-calls-failed"

    def waiting(self, community: Community) -> QuerySet[Any]:
        since = timezone.now() - FAILED_CALLS_SHOWN_FOR
        return ForumAction.objects.filter(
            community=community,
            status__in=(ActionStatus.FAILED, ActionStatus.GAVE_UP),
            created_at__gte=since,
        ).order_by("created_at")

    def items(self, community: Community, rows: QuerySet[Any]) -> list[Item]:
        return [
            Item(
                kind="forum-call",
                key=str(call.pk),
                title=_("The forum did not take “%(action)s”")
                % {"action": call.get_action_display()},
                detail=ngettext(
                    "%(age)s ago, after %(count)s attempt. "
                    "Check the forum and do it by hand if it still matters.",
                    "%(age)s ago, after %(count)s attempts. "
                    "Check the forum and do it by hand if it still matters.",
                    call.attempts,
                )
                % {"age": timesince(call.created_at, depth=1), "count": call.attempts},
                since=call.created_at,
                action=_("See what happened"),
                url=reverse("integrations:page", args=[community.slug]) + "#discourse",
            )
            for call in rows
        ]


class DeliveriesSetAside:
    name = "deliveries-set-aside"

    def waiting(self, community: Community) -> QuerySet[Any]:
        return InboundDelivery.objects.filter(
            connection__community=community, status=DeliveryStatus.DEAD_LETTER
        ).order_by("received_at")

    def items(self, community: Community, rows: QuerySet[Any]) -> list[Item]:
        return [
            Item(
                kind="delivery",
                key=str(delivery.pk),
                title=_("A message from the forum was set aside after repeated failures"),
                detail=_("Received %(age)s ago.")
                % {"age": timesince(delivery.received_at, depth=1)},
                since=delivery.received_at,
                action=_("Try again"),
                url=reverse("integrations:page", args=[community.slug]) + "#discourse",
            )
            for delivery in rows
        ]
