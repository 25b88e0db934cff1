"""A real Celery worker, through the real broker (Redis), writing to the real database."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from django.db import transaction

from community.domain_events import dispatch_pending, record_domain_event, subscribe, unsubscribe
from community.models import (
    Channel,
    Community,
    DeliveryOutcome,
    DomainEvent,
    DomainEventType,
    Heartbeat,
    Membership,
    NotificationKind,
)
from community.notifications import notify
from community.tasks import heartbeat
from config.celery import app as celery_app
from tests.conftest import WorkerProcess, make_user, start_worker, wait_for
from tests.mail_backends import DIR_ENV

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


def test_a_notification_email_is_retried_by_the_real_worker_and_sent_once(
    tmp_path: Any, transactional_db: None
) -> None:
    """Through Redis and a real worker: two dropped connections, then the e-mail goes out once,
    every try recorded (the delays shortened to a second so the test is quick)."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    (mail_dir / "failures").write_text("2")
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    worker = start_worker(
        tmp_path,
        extra_env={
            "EMAIL_BACKEND": "tests.mail_backends.FileCountedFlakyBackend",
            DIR_ENV: str(mail_dir),
            "NOTIFICATION_EMAIL_RETRY_SECONDS": "1",
        },
    )
    try:
        community = Community.objects.create(slug="garden", name="Garden")
        membership = Membership.objects.create(
            community=community, user=make_user("milo"), display_name="milo"
        )
        with transaction.atomic():
            (notification,) = notify(
                community=community,
                recipients=[membership],
                kind=NotificationKind.REPORT_RESOLVED,
                title="The conversation you reported has calmed down",
            )
        wait_for(
            lambda: notification.deliveries.filter(outcome=DeliveryOutcome.SENT).exists(),
            timeout=40,
            what="the e-mail to be sent after two failed tries",
        )
        rows = list(
            notification.deliveries.filter(channel=Channel.EMAIL)
            .order_by("pk")
            .values_list("outcome", "attempt")
        )
        assert rows == [
            (DeliveryOutcome.QUEUED, 0),
            (DeliveryOutcome.RETRYING, 1),
            (DeliveryOutcome.RETRYING, 2),
            (DeliveryOutcome.SENT, 3),
        ]
        sent = (mail_dir / "sent.jsonl").read_text().splitlines()
        assert len(sent) == 1 and "milo@example.org" in sent[0]
    finally:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        celery_app.control.purge()
