"""Access helpers for the integrations pages: moderators only (others who can see the community
get 403; those who cannot see it get 404, as everywhere). The Discourse connection holds the
forum's API key and the webhook secret; subscriptions hold signing secrets."""

from __future__ import annotations

from django.http import Http404

from community.access import CommunityAccess
from integrations.models import (
    DiscourseConnection,
    InboundDelivery,
    WebhookDelivery,
    WebhookSubscription,
)


def get_connection(access: CommunityAccess) -> DiscourseConnection | None:
    """The community's Discourse connection (None before it is connected)."""
    access.require_moderator()
    return DiscourseConnection.objects.filter(community=access.community).first()


def get_subscription(access: CommunityAccess, pk: int) -> WebhookSubscription:
    access.require_moderator()
    subscription = WebhookSubscription.objects.filter(community=access.community, pk=pk).first()
    if subscription is None:
        raise Http404("No such webhook subscription.")
    return subscription


def get_webhook_delivery(access: CommunityAccess, pk: int) -> WebhookDelivery:
    access.require_moderator()
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(subscription__community=access.community, pk=pk)
        .first()
    )
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery


def recent_webhook_deliveries(access: CommunityAccess, *, limit: int = 30) -> list[WebhookDelivery]:
    """The community's latest outbound deliveries, newest first (moderators only)."""
    access.require_moderator()
    return list(
        WebhookDelivery.objects.filter(subscription__community=access.community)
        .select_related("subscription")
        .order_by("-created_at", "-pk")[:limit]
    )


def get_inbound_delivery(access: CommunityAccess, pk: int) -> InboundDelivery:
    """One delivery from the community's forum (to try again after it was set aside)."""
    access.require_moderator()
    delivery = InboundDelivery.objects.filter(connection__community=access.community, pk=pk).first()
    if delivery is None:
        raise Http404("No such delivery from the forum.")
    return delivery
