"""Webhook subscriptions: a receiver URL, the secret we sign with and the event types it wants."""

from __future__ import annotations

from urllib.parse import urlsplit

from community.models import Community, DomainEventType
from community.services import ServiceError
from integrations.addresses import require_public_address
from integrations.models import ALL_EVENTS, MIN_SECRET_LENGTH, WebhookSubscription


def create_subscription(
    *, community: Community, url: str, secret: str, event_types: list[str], description: str = ""
) -> WebhookSubscription:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServiceError("The webhook address must be an http(s) URL.")
    require_public_address(url.strip(), "webhook")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ServiceError(f"The secret must be at least {MIN_SECRET_LENGTH} characters.")
    types = sorted(set(event_types))
    unknown = [t for t in types if t != ALL_EVENTS and t not in DomainEventType.values]
    if unknown or not types:
        raise ServiceError(
            f"Choose event types from: {', '.join(DomainEventType.values)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
        )
    return WebhookSubscription.objects.create(
        community=community,
        url=url.strip(),
        secret=secret,
        event_types=types,
        description=description.strip()[:200],
    )


def set_subscription_active(
    *, subscription: WebhookSubscription, active: bool
) -> WebhookSubscription:
    subscription.active = active
    subscription.save(update_fields=["active"])
    return subscription
