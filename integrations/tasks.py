"""Thin Celery wrappers over integrations.services."""

from __future__ import annotations

from celery import shared_task

from integrations import services


@shared_task(name="integrations.drain_discourse_deliveries", ignore_result=True)
def drain_discourse_deliveries() -> int:
    done = services.drain_deliveries()
    if done >= 500:
        services.schedule_drain()  # more are waiting
    return done


@shared_task(name="integrations.sweep_discourse_deliveries", ignore_result=True)
def sweep_discourse_deliveries() -> int:
    return services.sweep_deliveries()


@shared_task(name="integrations.perform_forum_action", ignore_result=True)
def perform_forum_action(action_id: int) -> None:
    services.perform_forum_action(action_id=action_id)


@shared_task(name="integrations.deliver_webhook", ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    services.deliver_webhook(delivery_id=delivery_id)


@shared_task(name="integrations.sweep_outbound", ignore_result=True)
def sweep_outbound() -> int:
    return services.sweep_forum_actions() + services.sweep_webhooks()
