"""Retention: the one periodic purge, its settings, and what it never touches."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from budgets.models import Charge, FanOutChunk, FanOutRun, Forgiveness, RecalcRun
from budgets.services import create_charge, forgive_charges
from community.models import (
    Clause,
    ClauseSnapshot,
    Community,
    ConductEvent,
    DomainEvent,
    Membership,
)
from integrations.discourse.connection import connect_discourse
from integrations.models import (
    DeliveryStatus,
    DiscourseConnection,
    ForumAction,
    ForumActionAttempt,
    InboundDelivery,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from operations.retention import purge_expired
from operations.tasks import purge_expired as purge_task
from tests.integrations.helpers import SECRET, deliver, fixture
from tests.test_settings import manage

NOW = timezone.now().replace(microsecond=0)
DAYS = settings.RETENTION_DAYS


def ago(days: float) -> Any:
    return NOW - timedelta(days=days)


@pytest.fixture
def forum(community: Community) -> DiscourseConnection:
    return connect_discourse(community=community, base_url="http://127.0.0.1:9", secret=SECRET)


def test_the_purge_is_one_hourly_task_in_the_beat_schedule() -> None:
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "operations.purge_expired" in tasks
    assert not {"community.prune_domain_events", "community.prune_clause_snapshots"} & tasks
    assert settings.CELERY_BEAT_SCHEDULE["purge-expired"]["schedule"] == 3600.0


def test_a_delivery_body_goes_after_the_window_and_its_dedupe_keys_much_later(
    community: Community, forum: DiscourseConnection
) -> None:
    client = Client()
    post = fixture("post_created")
    with time_machine.travel(ago(DAYS["raw_delivery"] + 1), tick=False):
        assert deliver(client, forum, post, event_id="101").status_code == 202
    # Processed since (the drain task runs after commit, which a test never reaches).
    InboundDelivery.objects.update(status=DeliveryStatus.PROCESSED)
    stored = InboundDelivery.objects.get()
    assert stored.body

    with time_machine.travel(NOW, tick=False):
        purged = purge_task.delay().get()
    assert purged["raw Discourse delivery bodies"] == 1
    assert purged["Discourse deliveries (dedupe keys)"] == 0
    stored.refresh_from_db()
    assert stored.body == "" and stored.headers == {}
    # Discourse sends the same post again (a retry carries a new event id): still a duplicate.
    again = deliver(client, forum, post, event_id="102")
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    assert InboundDelivery.objects.count() == 1

    with time_machine.travel(stored.received_at + timedelta(days=DAYS["delivery_dedupe"] + 1)):
        purged = purge_expired()
    assert purged["Discourse deliveries (dedupe keys)"] == 1
    assert not InboundDelivery.objects.exists()


def test_deliveries_still_to_be_processed_are_kept_however_old(
    forum: DiscourseConnection,
) -> None:
    for n, status in enumerate((DeliveryStatus.PENDING, DeliveryStatus.FAILED)):
        InboundDelivery.objects.create(
            connection=forum,
            event_name="post_created",
            content_key=f"k{n}",
            body="{}",
            status=status,
            received_at=ago(DAYS["delivery_dedupe"] + 10),
        )
    purge_expired(now=NOW)
    assert set(InboundDelivery.objects.values_list("body", flat=True)) == {"{}"}
    assert InboundDelivery.objects.count() == 2


def test_attempt_logs_of_finished_calls_go_and_those_of_open_calls_stay(
    community: Community,
) -> None:
    old = ago(DAYS["outbound_attempt"] + 1)
    done = ForumAction.objects.create(
        community=community, domain_event_id=uuid.uuid4(), action="slow_mode", method="PUT"
    )
    done.status = ForumAction.SUCCEEDED
    done.save()
    open_ = ForumAction.objects.create(
        community=community, domain_event_id=uuid.uuid4(), action="close_topic", method="PUT"
    )
    open_.status = ForumAction.RETRYING
    open_.save()
    for action in (done, open_):
        ForumActionAttempt.objects.create(forum_action=action, number=1, at=old, ok=False)
        ForumActionAttempt.objects.create(forum_action=action, number=2, at=NOW, ok=True)
    subscription = WebhookSubscription.objects.create(
        community=community, url="http://127.0.0.1:9/", secret="s" * 20, event_types=["*"]
    )
    delivered = WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=uuid.uuid4(),
        event_type="incident.declared",
        body="{}",
        status=WebhookDelivery.SUCCEEDED,
    )
    retrying = WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=uuid.uuid4(),
        event_type="incident.declared",
        body="{}",
        status=WebhookDelivery.RETRYING,
    )
    for d in (delivered, retrying):
        WebhookAttempt.objects.create(delivery=d, number=1, at=old, status_code=503)
        WebhookAttempt.objects.create(delivery=d, number=2, at=NOW, status_code=204)

    purged = purge_expired(now=NOW)
    assert purged["forum action attempts"] == 1 and purged["webhook attempts"] == 1
    assert list(done.tries.values_list("number", flat=True)) == [2]
    assert list(open_.tries.values_list("number", flat=True)) == [1, 2]
    assert list(delivered.tries.values_list("number", flat=True)) == [2]
    assert list(retrying.tries.values_list("number", flat=True)) == [1, 2]
    assert WebhookDelivery.objects.count() == 2 and ForumAction.objects.count() == 2


def test_domain_events_go_once_dispatched_and_old_and_recalculation_runs_after_a_week(
    community: Community,
) -> None:
    dispatched = DomainEvent.objects.create(
        community=community,
        type="incident.declared",
        created_at=ago(DAYS["domain_event"] + 2),
        dispatched_at=ago(DAYS["domain_event"] + 1),
    )
    pending = DomainEvent.objects.create(
        community=community, type="incident.declared", created_at=ago(400)
    )
    recent = DomainEvent.objects.create(
        community=community, type="incident.declared", dispatched_at=ago(1)
    )
    for days in (DAYS["recalc_run"] + 1, 1):
        RecalcRun.objects.create(
            community=community,
            kind="dirty",
            started_at=ago(days),
            duration_seconds=0.1,
            members=1,
            written=1,
            transitions=0,
        )
    # Fanned-out runs: the finished old one goes with its chunks; one still in flight since
    # long ago and one finished yesterday stay.
    old, stuck, fresh = (
        FanOutRun.objects.create(
            community=community,
            at=ago(DAYS["recalc_run"] + 1),
            chunks=1,
            finished_at=ago(DAYS["recalc_run"] + 1),
        ),
        FanOutRun.objects.create(community=community, at=ago(400), chunks=1),
        FanOutRun.objects.create(community=community, at=ago(1), chunks=1, finished_at=ago(1)),
    )
    for run in (old, stuck, fresh):
        FanOutChunk.objects.create(run=run, first_id=1, last_id=2)
    purged = purge_expired(now=NOW)
    assert purged["dispatched domain events"] == 1
    assert purged["budget recalculation runs"] == 1
    assert purged["fanned-out recalculation runs"] == 1
    assert set(FanOutRun.objects.values_list("pk", flat=True)) == {stuck.pk, fresh.pk}
    assert set(FanOutChunk.objects.values_list("run_id", flat=True)) == {stuck.pk, fresh.pk}
    assert set(DomainEvent.objects.values_list("pk", flat=True)) == {pending.pk, recent.pk}
    assert dispatched.pk not in set(DomainEvent.objects.values_list("pk", flat=True))
    assert RecalcRun.objects.get().started_at == ago(1)


def test_the_ledger_events_and_timelines_are_never_purged(
    community: Community, member_membership: Membership, moderator: User
) -> None:
    years = ago(3650)
    ConductEvent.objects.create(
        community=community, kind="post", occurred_at=years, recorded_at=years, external_id="p1"
    )
    charge = create_charge(
        community=community,
        membership=member_membership,
        kind="moderator_warning",
        severity="minor",
        reason="an old warning",
        occurred_at=years,
        by=moderator,
        cost=Decimal("1"),
    )
    forgive_charges(charges=[charge], kind="grace", reason="long ago", by=moderator)
    Charge.objects.filter(pk=charge.pk).update(recorded_at=years)
    Forgiveness.objects.update(at=years)
    purge_expired(now=NOW)
    assert ConductEvent.objects.filter(community=community).count() == 1
    assert Charge.objects.filter(pk=charge.pk).exists()
    assert Forgiveness.objects.filter(charge=charge).exists()


def test_snapshots_keep_the_chart_history_and_only_recent_per_space_rows(
    community: Community,
) -> None:
    clause = Clause.objects.create(community=community, slug="kind", title="Kind", target="0.98")
    space = community.spaces.create(name="Lounge")

    def snapshot(scope: str, days: int) -> None:
        ClauseSnapshot.objects.create(
            clause=clause,
            space=space if scope else None,
            scope=scope,
            bucket=ago(days),
            computed_at=ago(days),
            total=10,
            bad=0,
            allowed_bad=Decimal("0.2"),
            budget_remaining=Decimal("1"),
            tier="healthy",
        )

    for days in (DAYS["clause_snapshot"] + 1, DAYS["clause_snapshot"] - 1, 1):
        snapshot("", days)
    for days in (DAYS["space_snapshot"] + 1, 1):
        snapshot(str(space.pk), days)
    purged = purge_expired(now=NOW)
    assert purged["clause snapshots"] == 1 and purged["per-space clause snapshots"] == 1
    kept = set(clause.snapshots.values_list("scope", "bucket"))
    assert kept == {
        ("", ago(DAYS["clause_snapshot"] - 1)),
        ("", ago(1)),
        (str(space.pk), ago(1)),
    }


def test_the_purge_deletes_in_short_batches(community: Community) -> None:
    for n in range(5):
        DomainEvent.objects.create(
            community=community, type="incident.declared", dispatched_at=ago(100 + n)
        )
    with CaptureQueriesContext(connection) as queries:
        purged = purge_expired(now=NOW, batch_size=2)
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert purged["dispatched domain events"] == 5
    assert len(deletes) == 3  # 2 + 2 + 1 rows, each batch in its own transaction
    assert not DomainEvent.objects.exists()


def test_a_retention_that_would_lose_what_pages_read_fails_the_system_check(
    settings: Any, db: None
) -> None:
    # Every check runs, as under manage.py check; on SQLite the JSON fields' check asks the
    # database whether it supports them.
    settings.RETENTION_DAYS = {**DAYS, "clause_snapshot": 10}
    ids = {message.id for message in run_checks()}
    assert "operations.E001" in ids
    settings.RETENTION_DAYS = {**DAYS, "raw_delivery": 60, "delivery_dedupe": 30}
    assert "operations.E002" in {message.id for message in run_checks()}
    settings.RETENTION_DAYS = DAYS
    assert not {"operations.E001", "operations.E002"} & {m.id for m in run_checks()}


def test_retention_days_are_read_from_the_environment() -> None:
    shown = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.RETENTION_DAYS['raw_delivery'])",
        env={"RETENTION_RAW_DELIVERY_DAYS": "45"},
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == "45"
    refused = manage("check", env={"RETENTION_SPACE_SNAPSHOT_DAYS": "0"})
    assert refused.returncode != 0
    assert "RETENTION_SPACE_SNAPSHOT_DAYS must be at least 1" in refused.stderr
