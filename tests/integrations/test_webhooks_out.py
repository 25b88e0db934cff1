"""Our outbound webhooks: one signed delivery per subscription and domain event, with retries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from celery import current_app
from django.contrib.auth.models import User
from django.test import Client

from community.domain_events import record_domain_event
from community.models import Community
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from integrations.signing import signature_matches
from integrations.webhooks.delivery import deliver_webhook, fan_out_webhooks, sweep_webhooks
from integrations.webhooks.subscriptions import create_subscription
from tests.integrations.helpers import Receiver, webhook_receiver

RECEIVER_SECRET = "receiver-secret-456"


@pytest.fixture
def receiver() -> Any:
    with webhook_receiver() as r:
        yield r


@pytest.fixture
def subscription(community: Community, receiver: Receiver) -> WebhookSubscription:
    return create_subscription(
        community=community,
        url=receiver.url,
        secret=RECEIVER_SECRET,
        event_types=["incident.declared", "cooldown.started"],
    )


def declare(community: Community, capture: Any) -> Any:
    with capture(execute=True):
        return record_domain_event(
            community=community,
            type="incident.declared",
            payload={"incident_id": 3, "title": "Heat in the shed rota", "severity": "SEV3"},
        )


def test_a_domain_event_reaches_the_receiver_with_a_valid_signature(
    community: Community,
    subscription: WebhookSubscription,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    event = declare(community, django_capture_on_commit_callbacks)
    [(headers, body)] = receiver.received
    assert signature_matches(RECEIVER_SECRET, body, headers["X-CSRE-Signature"])
    assert headers["X-CSRE-Event-Id"] == str(event.pk)
    assert headers["X-CSRE-Event-Type"] == "incident.declared"
    assert headers["X-CSRE-Timestamp"].isdigit()
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "id": str(event.pk),
        "type": "incident.declared",
        "community": "garden",
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {"incident_id": 3, "title": "Heat in the shed rota", "severity": "SEV3"},
    }
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)


def test_events_the_subscription_did_not_ask_for_are_not_sent(
    community: Community,
    subscription: WebhookSubscription,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record_domain_event(community=community, type="contract.published", payload={})
    assert receiver.received == [] and not WebhookDelivery.objects.exists()


def test_another_communitys_events_are_not_sent(
    other_community: Community,
    subscription: WebhookSubscription,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    declare(other_community, django_capture_on_commit_callbacks)
    assert receiver.received == []


def test_fanning_out_twice_creates_one_delivery(
    community: Community,
    subscription: WebhookSubscription,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    event = declare(community, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert fan_out_webhooks(event=event) == []
    assert WebhookDelivery.objects.count() == 1 and len(receiver.received) == 1


def test_a_failing_receiver_is_retried_with_backoff_and_every_attempt_logged(
    community: Community,
    subscription: WebhookSubscription,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    receiver.statuses = [500, 503]
    declare(community, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert list(WebhookAttempt.objects.values_list("number", "status_code")) == [
        (1, 500),
        (2, 503),
        (3, 204),
    ]
    bodies = {body for _, body in receiver.received}
    assert len(bodies) == 1  # every attempt sends the same bytes


def test_a_delivery_that_keeps_failing_is_marked_failed(
    community: Community,
    subscription: WebhookSubscription,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    receiver.statuses = [500] * 20
    declare(community, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", WebhookDelivery.MAX_ATTEMPTS)


def test_the_first_failure_schedules_a_retry(
    community: Community,
    subscription: WebhookSubscription,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receiver.statuses = [500]
    monkeypatch.setattr(
        current_app.tasks["integrations.deliver_webhook"], "apply_async", lambda *a, **k: None
    )
    event = record_domain_event(community=community, type="incident.declared", payload={})
    [delivery] = fan_out_webhooks(event=event)
    deliver_webhook(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.next_attempt_at is not None
    assert delivery.last_status_code == 500


def test_a_moderator_can_redeliver_from_the_page(
    community: Community,
    subscription: WebhookSubscription,
    receiver: Receiver,
    moderator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    declare(community, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    client = Client()
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/c/garden/integrations/deliveries/{delivery.pk}/redeliver/",
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    assert 'id="webhooks"' in response.content.decode()
    assert len(receiver.received) == 2
    assert receiver.received[0][1] == receiver.received[1][1]
    delivery.refresh_from_db()
    assert delivery.attempts == 2


@pytest.mark.parametrize("who", ["member", "outsider", "other_moderator"])
def test_only_this_communitys_moderators_can_redeliver(
    request: pytest.FixtureRequest,
    community: Community,
    subscription: WebhookSubscription,
    django_capture_on_commit_callbacks: Any,
    who: str,
) -> None:
    declare(community, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    client = Client()
    client.force_login(request.getfixturevalue(who))
    response = client.post(f"/c/garden/integrations/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 403
    assert WebhookDelivery.objects.get().attempts == 1


def test_a_delivery_of_another_community_is_not_found(
    community: Community,
    other_community: Community,
    subscription: WebhookSubscription,
    other_moderator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    declare(community, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    client = Client()
    client.force_login(other_moderator)
    response = client.post(f"/c/chess/integrations/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "url": "ftp://example.org/x",
                "secret": "s" * 20,
                "event_types": ["incident.declared"],
            },
            "http(s) URL",
        ),
        (
            {
                "url": "https://example.org/x",
                "secret": "short",
                "event_types": ["incident.declared"],
            },
            "at least 12",
        ),
        (
            {"url": "https://example.org/x", "secret": "s" * 20, "event_types": ["no.such"]},
            "Choose one of the options offered for “Event types”",
        ),
        (
            {"url": "https://example.org/x", "secret": "s" * 20},
            "Choose at least one for “Event types”",
        ),
    ],
)
def test_a_bad_subscription_is_refused_and_stores_nothing(
    community: Community, moderator: User, data: dict[str, Any], message: str
) -> None:
    client = Client()
    client.force_login(moderator)
    response = client.post("/c/garden/integrations/webhooks/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    swapped = client.post("/c/garden/integrations/webhooks/", data, headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and message in swapped.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_moderator_adds_and_pauses_a_subscription(community: Community, moderator: User) -> None:
    client = Client()
    client.force_login(moderator)
    response = client.post(
        "/c/garden/integrations/webhooks/",
        {
            "url": "https://bot.example.org/hook",
            "secret": "s" * 20,
            "event_types": ["cooldown.started", "cooldown.ended"],
        },
    )
    assert response.status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["cooldown.ended", "cooldown.started"]
    client.post(f"/c/garden/integrations/webhooks/{subscription.pk}/toggle/")
    subscription.refresh_from_db()
    assert subscription.active is False


def test_the_service_refuses_unknown_event_types(community: Community) -> None:
    from community.services import ServiceError

    with pytest.raises(ServiceError, match="unknown: nope"):
        create_subscription(
            community=community, url="https://x.org/h", secret="s" * 12, event_types=["nope"]
        )
    assert not WebhookSubscription.objects.exists()


def test_the_sweep_sends_retries_the_broker_lost(
    community: Community,
    subscription: WebhookSubscription,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    monkeypatch.setattr(
        current_app.tasks["integrations.deliver_webhook"], "apply_async", lambda *a, **k: None
    )  # the broker lost it
    event = record_domain_event(community=community, type="incident.declared", payload={})
    [delivery] = fan_out_webhooks(event=event)
    assert sweep_webhooks() == 0  # too fresh: its own task may still be on the way
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert sweep_webhooks() == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(receiver.received) == 1
