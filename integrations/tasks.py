"""Thin Celery wrappers over integrations.services."""

from __future__ import annotations

from celery import shared_task

from integrations import services


@shared_task(name="integrations.process_discourse_delivery", ignore_result=True)
def process_discourse_delivery(delivery_id: int) -> None:
    try:
        services.process_delivery(delivery_id=delivery_id)
    except services.RetryLater as exc:
        # The forum did not answer a detail fetch: the periodic sweep tries again.
        services.mark_delivery_failed(delivery_id=delivery_id, error=str(exc))
    except Exception as exc:
        services.mark_delivery_failed(delivery_id=delivery_id, error=f"error: {exc}")
        raise


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
