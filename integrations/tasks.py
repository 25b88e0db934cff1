"""Thin Celery wrappers over the integrations services."""

from __future__ import annotations

from celery import shared_task

from integrations.discourse.actions import perform_forum_action as perform_action
from integrations.discourse.actions import sweep_forum_actions
from integrations.discourse.drain import DRAIN_BATCH, drain_deliveries
from integrations.discourse.process import sweep_deliveries
from integrations.discourse.receive import schedule_drain
from integrations.webhooks.delivery import deliver_webhook as deliver
from integrations.webhooks.delivery import sweep_webhooks


@shared_task(name="integrations.drain_discourse_deliveries", ignore_result=True)
def drain_discourse_deliveries() -> int:
    taken = drain_deliveries()
    if taken >= DRAIN_BATCH:
        schedule_drain()  # more are waiting
    return taken


@shared_task(name="integrations.sweep_discourse_deliveries", ignore_result=True)
def sweep_discourse_deliveries() -> int:
    return sweep_deliveries()


@shared_task(name="integrations.perform_forum_action", ignore_result=True)
def perform_forum_action(action_id: int) -> None:
    perform_action(action_id=action_id)


@shared_task(name="integrations.deliver_webhook", ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    deliver(delivery_id=delivery_id)


@shared_task(name="integrations.sweep_outbound", ignore_result=True)
def sweep_outbound() -> int:
    return sweep_forum_actions() + sweep_webhooks()
