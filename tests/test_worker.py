"""A real Celery worker, through the real broker (Redis), writing to the real database."""

from __future__ import annotations

import pytest
from django.db import transaction

from community.domain_events import record_domain_event, subscribe
from community.models import Community, DomainEvent, Heartbeat
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


def test_an_event_rolled_back_is_never_dispatched(db: None) -> None:
    community = Community.objects.create(slug="garden", name="Garden")
    seen: list[str] = []
    subscribe("test-recorder", lambda event: seen.append(event.type))
    try:

        def failing_change() -> None:
            with transaction.atomic():
                record_domain_event(community=community, type="never", payload={})
                raise RuntimeError("the change failed")

        with pytest.raises(RuntimeError):
            failing_change()
        assert not DomainEvent.objects.exists()
    finally:
        subscribe("test-recorder", lambda event: None)
