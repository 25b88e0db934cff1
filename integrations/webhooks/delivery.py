"""Signed delivery of our outbound webhooks: one ``WebhookDelivery`` per domain event and matching
subscription, its body frozen at creation, each attempt signed afresh and retried with backoff
(``integrations.outbound``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from community.jobs import enqueue_after_commit
from community.models import DomainEvent
from integrations.http import CallError, dumps, post_signed
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.outbound import record_attempt
from integrations.retry import AttemptResult
from integrations.signing import sign

HTTP_TIMEOUT = 10.0


def webhook_body(event: DomainEvent) -> bytes:
    return dumps(
        {
            "id": str(event.pk),
            "type": event.type,
            "community": event.community.slug,
            "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
            "data": event.payload,
        }
    )


def fan_out_webhooks(*, event: DomainEvent) -> list[WebhookDelivery]:
    """Subscriber: one delivery per matching subscription, idempotent on (subscription, event)."""
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(community_id=event.community_id, active=True)
        if s.wants(event.type)
    ]
    if not subscriptions:
        return []
    body = webhook_body(event).decode()
    created = []
    for subscription in subscriptions:
        delivery, new = WebhookDelivery.objects.get_or_create(
            subscription=subscription,
            event_id=event.pk,
            defaults={"event_type": event.type, "body": body},
        )
        if new:
            created.append(delivery)
            enqueue_after_commit(WebhookDelivery.ATTEMPT_TASK, delivery.pk)
    return created


def signed_headers(*, secret: str, body: bytes, event_id: str, event_type: str) -> dict[str, str]:
    return {
        "X-CSRE-Signature": sign(secret, body),
        "X-CSRE-Event-Id": event_id,
        "X-CSRE-Event-Type": event_type,
        "X-CSRE-Timestamp": str(int(timezone.now().timestamp())),
    }


def deliver_webhook(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt at one delivery; any failure is retried with exponential backoff."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription__community")
            .filter(pk=delivery_id, status__in=WebhookDelivery.open_statuses())
            .exclude(subscription__secret="")  # waits until its secret is entered again
            .first()
        )
        if delivery is None:
            return None
        body = delivery.body.encode()
        headers = signed_headers(
            secret=delivery.subscription.secret,
            body=body,
            event_id=str(delivery.event_id),
            event_type=delivery.event_type,
        )
        started = timezone.now()
        status_code: int | None
        try:
            status_code = post_signed(
                delivery.subscription.url, body, headers, timeout=HTTP_TIMEOUT
            )
        except CallError as exc:
            failure: CallError | None = exc
            status_code = exc.status_code
        else:
            failure = None
        now = timezone.now()
        record_attempt(
            call=delivery,
            result=AttemptResult(
                ok=failure is None,
                status_code=status_code,
                error=str(failure) if failure else "",
                permanent=bool(failure and failure.permanent),
                duration_ms=int((now - started).total_seconds() * 1000),
            ),
            now=now,
        )
    return delivery


def redeliver_webhook(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (same body, fresh signature timestamp), whatever its state."""
    delivery.status = WebhookDelivery.PENDING
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "next_attempt_at"])
    enqueue_after_commit(WebhookDelivery.ATTEMPT_TASK, delivery.pk)
    return delivery


def sweep_webhooks(*, limit: int = 200) -> int:
    """Send deliveries whose attempt is overdue (in case the broker lost the task)."""
    ids = list(WebhookDelivery.due().values_list("pk", flat=True)[:limit])
    for delivery_id in ids:
        deliver_webhook(delivery_id=delivery_id)
    return len(ids)
