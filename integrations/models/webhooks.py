"""Our outbound webhooks: subscriptions, and one delivery (an ``OutboundCall``) per domain event
and subscription, with every attempt logged beside it."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Community
from integrations.models.outbound import OutboundAttempt, OutboundCall
from integrations.retry import AttemptResult, Verdict

# Besides the domain-event types (docs/domain-events.md), a subscription may ask for all of them.
ALL_EVENTS = "*"


class WebhookSubscription(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200)
    event_types = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        # Without a secret (an imported subscription, until its secret is entered again) a
        # subscription is sent nothing: an unsigned body must never leave.
        if not (self.active and self.secret):
            return False
        return ALL_EVENTS in self.event_types or event_type in self.event_types


class WebhookStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Retrying")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(OutboundCall):
    """One domain event for one subscription. The body is frozen at creation, so a redelivery
    sends exactly the bytes (and signature) the first attempt sent."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=60)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.PENDING
    )
    delivered_at = models.DateTimeField(null=True, blank=True)

    PENDING = WebhookStatus.PENDING
    RETRYING = WebhookStatus.RETRYING
    SUCCEEDED = WebhookStatus.DELIVERED
    # A receiver is retried whatever it answers (a 4xx is often a deploy in progress), so a
    # delivery only ever fails by running out of attempts.
    FAILED = WebhookStatus.FAILED
    GAVE_UP = WebhookStatus.FAILED
    RETRY_PERMANENT_ERRORS = True
    MAX_ATTEMPTS = 8
    ATTEMPT_TASK = "integrations.deliver_webhook"

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("subscription", "event_id"), name="webhook_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.subscription_id} ({self.status})"

    def finish(self, *, now: datetime, verdict: Verdict) -> None:
        if verdict is Verdict.SUCCEEDED:
            self.delivered_at = now

    def log_attempt(self, result: AttemptResult, *, at: datetime) -> None:
        WebhookAttempt.objects.create(
            delivery=self,
            number=self.attempts,
            at=at,
            status_code=result.status_code,
            error=result.error[:500],
            duration_ms=result.duration_ms,
        )


class WebhookAttempt(OutboundAttempt):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("delivery", "number")

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.status_code or self.error}"
