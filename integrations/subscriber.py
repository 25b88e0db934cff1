"""The integrations app's domain-event subscriber (registered in ``IntegrationsConfig.ready``):
cooldowns, notices and members' pauses become forum actions, and every event goes to the webhook
subscriptions that asked for it."""

from __future__ import annotations

from community.models import DomainEvent, DomainEventType
from integrations.discourse.actions import plan_forum_actions
from integrations.discourse.member_pauses import plan_member_actions
from integrations.webhooks.delivery import fan_out_webhooks

FORUM_EVENT_TYPES = frozenset(
    {
        DomainEventType.COOLDOWN_STARTED,
        DomainEventType.COOLDOWN_EXTENDED,
        DomainEventType.COOLDOWN_ENDED,
        DomainEventType.NOTICE_REQUESTED,
    }
)


MEMBER_EVENT_TYPES = frozenset(
    {DomainEventType.BUDGET_MEMBER_COOLDOWN, DomainEventType.BUDGET_MEMBER_COOLDOWN_LIFTED}
)


def on_domain_event(event: DomainEvent) -> None:
    if event.type in FORUM_EVENT_TYPES:
        plan_forum_actions(event=event)
    elif event.type in MEMBER_EVENT_TYPES:
        plan_member_actions(event=event)
    fan_out_webhooks(event=event)
