"""A real Celery worker, through the real broker (Redis), writing to the real database."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from community.domain_events import dispatch_pending, record_domain_event, subscribe, unsubscribe
from community.models import Community, DomainEvent, DomainEventType, Heartbeat
from community.tasks import heartbeat
from tests.conftest import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker]


def test_a_task_sent_through_redis_is_run_by_the_worker(celery_worker: WorkerProcess) -> None:
    heartbeat.delay("worker-test")
    beat = wait_for(
        lambda: Heartbeat.objects.filter(name="worker-test").first(), what="the heartbeat row"
    )
    assert beat.beat_at is not None
    assert "community.heartbeat" in celery_worker.log()


def test_a_recorded_domain_event_is_dispatched_after_commit(celery_worker: WorkerProcess) -> None:
    community = Community.objects.create(slug="garden", name="Garden")
    with transaction.atomic():
        event = record_domain_event(community=community, type="test.happened", payload={"n": 1})
    wait_for(
        lambda: DomainEvent.objects.filter(pk=event.pk, dispatched_at__isnull=False).exists(),
        what="the outbox row to be dispatched",
    )


def test_an_event_rolled_back_is_never_dispatched(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    community = Community.objects.create(slug="garden", name="Garden")
    seen: list[str] = []
    subscribe("test-recorder", lambda event: seen.append(event.payload["change"]))
    try:

        def failing_change() -> None:
            with transaction.atomic():
                record_domain_event(
                    community=community,
                    type=DomainEventType.INCIDENT_UPDATED,
                    payload={"change": "rolled back"},
                )
                raise RuntimeError("the change failed")

        with django_capture_on_commit_callbacks(execute=True) as sent, pytest.raises(RuntimeError):
            failing_change()
        assert sent == []  # no dispatch was even enqueued
        assert not DomainEvent.objects.exists()
        dispatch_pending()
        assert seen == []

        # The same path with a change that commits is dispatched, so the checks above can fail.
        with django_capture_on_commit_callbacks(execute=True) as sent:
            record_domain_event(
                community=community,
                type=DomainEventType.INCIDENT_UPDATED,
                payload={"change": "kept"},
            )
        assert len(sent) == 1
        assert seen == ["kept"]
    finally:
        unsubscribe("test-recorder")
