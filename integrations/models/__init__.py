"""The integrations app's tables: the Discourse connection and its traffic, our outbound webhooks,
and the retry state both kinds of outbound call share."""

from __future__ import annotations

from integrations.models.discourse import (
    DEFAULT_FLAG_SEVERITIES,
    MIN_SECRET_LENGTH,
    SOURCE,
    ActionStatus,
    DeliveryStatus,
    DiscourseConnection,
    ForumAction,
    ForumActionAttempt,
    ForumActionKind,
    InboundDelivery,
    InboundDeliveryQuerySet,
    default_flag_severities,
)
from integrations.models.outbound import OutboundAttempt, OutboundCall
from integrations.models.webhooks import (
    ALL_EVENTS,
    WebhookAttempt,
    WebhookDelivery,
    WebhookStatus,
    WebhookSubscription,
)

__all__ = [
    "ALL_EVENTS",
    "DEFAULT_FLAG_SEVERITIES",
    "MIN_SECRET_LENGTH",
    "SOURCE",
    "ActionStatus",
    "DeliveryStatus",
    "DiscourseConnection",
    "ForumAction",
    "ForumActionAttempt",
    "ForumActionKind",
    "InboundDelivery",
    "InboundDeliveryQuerySet",
    "OutboundAttempt",
    "OutboundCall",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookStatus",
    "WebhookSubscription",
    "default_flag_severities",
]
