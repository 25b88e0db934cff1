"""Thin Celery wrappers over the spine's services."""

from __future__ import annotations

from celery import shared_task

from community import domain_events, notifications
from community.services import record_heartbeat


@shared_task(name="community.dispatch_domain_events", ignore_result=True)
def dispatch_domain_events() -> int:
    return domain_events.dispatch_pending()


@shared_task(name="community.heartbeat", ignore_result=True)
def heartbeat(name: str = "worker") -> None:
    """Prove a worker is consuming: the scheduler sends this every minute and /metrics exports
    the time it last ran, so an alert can fire when the worker or the scheduler stops."""
    record_heartbeat(name=name)


@shared_task(name="community.email_notification", ignore_result=True)
def email_notification(notification_id: int) -> bool:
    """The e-mail copy of one notification, once; its outcome is recorded as a delivery."""
    return notifications.email_notification(notification_id=notification_id)
