"""Ingest stays exact when the same events arrive twice at the same moment (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from community.models import Community, ConductEvent, ExternalIdentity, Membership
from community.services import EventInput, IngestResult, ingest_events

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def batch(start: int, stop: int) -> list[EventInput]:
    return [
        EventInput(
            external_id=f"p{i}",
            kind="post",
            occurred_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
            member_external_id=str(i % 7),
            member_username=f"user{i % 7}",
            space_external_id="5",
            space_name="Proposals",
        )
        for i in range(start, stop)
    ]


def test_overlapping_batches_at_once_store_each_event_and_member_once() -> None:
    community = Community.objects.create(slug="garden", name="Garden")
    results: list[IngestResult] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def send(events: list[EventInput]) -> None:
        try:
            barrier.wait()
            results.append(ingest_events(community=community, events=events))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(batch(0, 300),)),
        threading.Thread(target=send, args=(batch(100, 400),)),
        threading.Thread(target=send, args=(batch(200, 500),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert ConductEvent.objects.count() == 500
    assert sum(r.accepted for r in results) == 500
    assert sum(r.duplicates for r in results) == 400
    assert Membership.objects.filter(community=community).count() == 7
    assert ExternalIdentity.objects.filter(community=community).count() == 7
