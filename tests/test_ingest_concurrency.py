"""Ingest stays exact when the same events arrive twice at the same moment (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from budgets.models import MemberBudget
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import recalculate_community
from community.models import Community, ConductEvent, ExternalIdentity, Membership, Space
from community.services import (
    EventInput,
    IngestResult,
    ingest_events,
    upsert_identities,
    upsert_spaces,
)

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


def test_ingest_and_recalculation_at_once_never_deadlock() -> None:
    """Ingest locks the community row; a recalculation's budget upserts check their foreign key
    to it (FOR KEY SHARE) while holding dirty-member rows that ingest wants to re-mark. With a
    full row lock in ingest that is a lock-order deadlock; ingest takes FOR NO KEY UPDATE."""
    community = Community.objects.create(slug="garden", name="Garden")
    ingest_events(community=community, events=batch(0, 140))  # 20 posts per member
    errors: list[BaseException] = []
    stop = threading.Event()

    def flags(writer: int) -> None:
        try:
            for n in range(25):
                items = [
                    EventInput(
                        external_id=f"w{writer}-{n}-{m}",
                        kind="moderator_warning",
                        severity="minor",
                        occurred_at=datetime(2026, 11, 20, 11, tzinfo=UTC),
                        member_external_id=str((writer + m) % 7),
                        member_username=f"user{(writer + m) % 7}",
                        space_external_id="5",
                        space_name="Proposals",
                    )
                    for m in range(7)
                ]
                ingest_events(community=community, events=items)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def recalculate() -> None:
        try:
            while not stop.is_set():
                recalculate_community(community=community, kind=RecalcKind.DIRTY)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    writers = [threading.Thread(target=flags, args=(w,)) for w in range(4)]
    recalculators = [threading.Thread(target=recalculate) for _ in range(2)]
    for thread in writers + recalculators:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    stop.set()
    for thread in recalculators:
        thread.join(timeout=60)
    assert [repr(e) for e in errors] == []
    recalculate_community(community=community, kind=RecalcKind.DIRTY)
    spent = {b.membership_id: b.spent for b in MemberBudget.objects.filter(community=community)}
    assert sum(spent.values()) == 4 * 25 * 7  # every minor warning costs 1, counted once


def test_identical_identity_and_space_upserts_at_once_create_each_row_once() -> None:
    community = Community.objects.create(slug="garden", name="Garden")
    identities = {str(n): f"user{n}" for n in range(30)}
    spaces = {str(n): (f"Space {n}", "") for n in range(10)}
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def upsert() -> None:
        try:
            barrier.wait()
            upsert_identities(community=community, source="discourse", identities=identities)
            upsert_spaces(community=community, source="discourse", spaces=spaces)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upsert) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [repr(e) for e in errors] == []
    assert ExternalIdentity.objects.filter(community=community).count() == 30
    # No "ghost" membership left behind by an insert that lost a race.
    assert Membership.objects.filter(community=community).count() == 30
    assert Membership.objects.filter(community=community, identities__isnull=True).count() == 0
    assert Space.objects.filter(community=community).count() == 10
