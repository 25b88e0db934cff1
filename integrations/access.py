"""Access helpers for the integrations pages: moderators only (others who can see the community
get 403; those who cannot see it get 404, as everywhere)."""

from __future__ import annotations

from django.http import Http404

from community.access import AnyUser, CommunityAccess, get_community_for_user
from integrations.models import (
    DiscourseConnection,
    InboundDelivery,
    WebhookDelivery,
    WebhookSubscription,
)


def get_integrations_for_user(
    user: AnyUser, slug: str
) -> tuple[CommunityAccess, DiscourseConnection | None]:
    access = get_community_for_user(user, slug, moderate=True)
    connection = DiscourseConnection.objects.filter(community=access.community).first()
    return access, connection


def get_subscription_for_user(
    user: AnyUser, slug: str, pk: int
) -> tuple[CommunityAccess, WebhookSubscription]:
    access = get_community_for_user(user, slug, moderate=True)
    subscription = WebhookSubscription.objects.filter(community=access.community, pk=pk).first()
    if subscription is None:
        raise Http404("No such webhook subscription.")
    return access, subscription


def get_webhook_delivery_for_user(
    user: AnyUser, slug: str, pk: int
) -> tuple[CommunityAccess, WebhookDelivery]:
    access = get_community_for_user(user, slug, moderate=True)
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(subscription__community=access.community, pk=pk)
        .first()
    )
    if delivery is None:
        raise Http404("No such delivery.")
    return access, delivery


def get_inbound_delivery_for_user(
    user: AnyUser, slug: str, pk: int
) -> tuple[CommunityAccess, InboundDelivery]:
    access = get_community_for_user(user, slug, moderate=True)
    delivery = InboundDelivery.objects.filter(connection__community=access.community, pk=pk).first()
    if delivery is None:
        raise Http404("No such delivery from the forum.")
    return access, delivery
