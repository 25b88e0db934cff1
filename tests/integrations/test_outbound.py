"""One retry state machine for every outbound call: forum actions and webhook deliveries go
through the same ``record_attempt`` (every attempt logged, retries enqueued after commit)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from celery import current_app
from django.utils import timezone

from community.models import Community, DomainEventType
from integrations.models import (
    ActionStatus,
    ForumAction,
    ForumActionAttempt,
    ForumActionKind,
    WebhookAttempt,
    WebhookDelivery,
    WebhookStatus,
    WebhookSubscription,
)
from integrations.outbound import record_attempt
from integrations.retry import AttemptResult, Verdict

TRANSIENT = AttemptResult(ok=False, status_code=503, error="HTTP 503: Service Unavailable")
PERMANENT = AttemptResult(ok=False, status_code=404, error="HTTP 404: Not Found", permanent=True)


@pytest.fixture
def action(community: Community) -> ForumAction:
    return ForumAction.objects.create(
        community=community,
        domain_event_id=uuid.uuid4(),
        action=ForumActionKind.SLOW_MODE,
        method="PUT",
        path="/t/1/slow_mode.json",
    )


@pytest.fixture
def delivery(community: Community) -> WebhookDelivery:
    subscription = WebhookSubscription.objects.create(
        community=community,
        url="https://hooks.example.org/csre",
        secret="receiver-secret-456",
        event_types=["*"],
    )
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=uuid.uuid4(),
        event_type=DomainEventType.INCIDENT_DECLARED,
        body="{}",
    )


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...], Any]]:
    sent: list[tuple[str, tuple[Any, ...], Any]] = []
    for name in ("integrations.perform_forum_action", "integrations.deliver_webhook"):

        def fake(
            args: tuple[Any, ...] = (), kwargs: Any = None, *, _n: str = name, **o: Any
        ) -> None:
            sent.append((_n, tuple(args), o.get("countdown")))

        monkeypatch.setattr(current_app.tasks[name], "apply_async", fake)
    return sent


def test_a_transient_failure_is_logged_and_retried_after_the_backoff(
    action: ForumAction, enqueued: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert record_attempt(call=action, result=TRANSIENT, now=now) is Verdict.RETRY
    action.refresh_from_db()
    assert (action.status, action.attempts, action.last_status_code) == ("retrying", 1, 503)
    assert action.next_attempt_at == now + timedelta(seconds=5)
    assert action.finished_at is None
    assert enqueued == [("integrations.perform_forum_action", (action.pk,), 5.0)]
    [attempt] = ForumActionAttempt.objects.filter(forum_action=action)
    assert (attempt.number, attempt.ok, attempt.status_code, attempt.permanent) == (
        1,
        False,
        503,
        False,
    )


def test_the_retry_is_enqueued_only_once_the_attempt_commits(
    action: ForumAction, enqueued: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_attempt(call=action, result=TRANSIENT)
    assert enqueued == [] and len(callbacks) == 1


def test_a_permanent_forum_error_fails_at_once(action: ForumAction, enqueued: list[Any]) -> None:
    now = timezone.now()
    assert record_attempt(call=action, result=PERMANENT, now=now) is Verdict.FAILED
    action.refresh_from_db()
    assert (action.status, action.finished_at, action.next_attempt_at) == ("failed", now, None)
    assert ForumActionAttempt.objects.get(forum_action=action).permanent is True


def test_the_last_allowed_forum_attempt_gives_up(action: ForumAction) -> None:
    ForumAction.objects.filter(pk=action.pk).update(
        attempts=ForumAction.MAX_ATTEMPTS - 1, status=ActionStatus.RETRYING
    )
    action.refresh_from_db()
    assert record_attempt(call=action, result=TRANSIENT) is Verdict.GAVE_UP
    action.refresh_from_db()
    assert (action.status, action.attempts) == ("gave_up", ForumAction.MAX_ATTEMPTS)
    assert action.finished_at is not None


def test_a_webhook_receiver_is_retried_even_after_a_4xx(
    delivery: WebhookDelivery, enqueued: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert record_attempt(call=delivery, result=PERMANENT) is Verdict.RETRY
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("retrying", 404)
    assert enqueued == [("integrations.deliver_webhook", (delivery.pk,), 5.0)]


def test_a_webhook_delivery_fails_only_by_running_out_of_attempts(
    delivery: WebhookDelivery,
) -> None:
    for _ in range(WebhookDelivery.MAX_ATTEMPTS):
        verdict = record_attempt(call=delivery, result=TRANSIENT)
    assert verdict is Verdict.GAVE_UP
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at, delivery.delivered_at) == (
        WebhookStatus.FAILED,
        None,
        None,
    )
    numbers = list(
        WebhookAttempt.objects.filter(delivery=delivery).values_list("number", flat=True)
    )
    assert numbers == list(range(1, WebhookDelivery.MAX_ATTEMPTS + 1))


def test_a_successful_delivery_is_stamped_and_logged_with_its_duration(
    delivery: WebhookDelivery,
) -> None:
    now = timezone.now()
    result = AttemptResult(ok=True, status_code=204, duration_ms=42)
    assert record_attempt(call=delivery, result=result, now=now) is Verdict.SUCCEEDED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.delivered_at, delivery.last_error) == ("delivered", now, "")
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert (attempt.status_code, attempt.duration_ms) == (204, 42)


def test_the_sweep_finds_overdue_retries_and_forgotten_pending_calls(
    action: ForumAction, delivery: WebhookDelivery
) -> None:
    now = timezone.now()
    assert not ForumAction.due(now=now).exists()
    assert list(ForumAction.due(now=now + timedelta(minutes=2))) == [action]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookStatus.RETRYING, next_attempt_at=now
    )
    assert not WebhookDelivery.due(now=now).exists()
    assert list(WebhookDelivery.due(now=now + timedelta(seconds=31))) == [delivery]
