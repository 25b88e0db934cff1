"""Exactly once, on PostgreSQL: recorded deliveries sent five times each (some resends with a new
``X-Discourse-Event-Id``, as Discourse's own retries do) from eight threads that receive and
process at once, while the drains they schedule run too. Every event, member and space exists
once; every delivery was processed by exactly one attempt; flags for one member from eight
threads charge the ledger exactly, with one tier transition per tier change and no deadlock."""

from __future__ import annotations

import copy
import json
import logging
import random
import threading
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection as db
from django.db.models import Sum
from django.utils import timezone

from budgets.models import Charge, MemberBudget, TierTransition
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import recalculate_community
from budgets.services import get_policy
from community.models import ConductEvent, ExternalIdentity, Membership, Space
from community.tiers import Tier
from integrations.discourse import receive
from integrations.discourse.process import process_delivery
from integrations.discourse.receive import receive_delivery
from integrations.models import DeliveryStatus, DiscourseConnection, InboundDelivery
from integrations.signing import sign
from tests.integrations.helpers import SECRET, FakeDiscourse, fixture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _drains_as_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    # One drain per half second per process (the tests' default drains after every delivery).
    monkeypatch.setattr(receive, "DRAIN_WINDOW_SECONDS", 0.5)


THREADS = 8
SENDS_PER_DELIVERY = 5
Send = tuple[dict[str, str], bytes]


def recorded(name: str, **changes: Any) -> dict[str, Any]:
    """A captured fixture with its object's fields changed (ids, authors, times)."""
    data = copy.deepcopy(fixture(name))
    next(iter(data["body"].values())).update(changes)
    return data


def sends_of(connection: DiscourseConnection, data: dict[str, Any], event_id: str) -> list[Send]:
    """Five sends of one delivery: three with its own event id, two retries with new ones."""
    body = json.dumps(data["body"]).encode()
    headers = {
        **data["headers"],
        "X-Discourse-Instance": connection.base_url,
        "X-Discourse-Event-Signature": sign(SECRET, body),
        "Content-Type": "application/json",
    }
    ids = [event_id] * 3 + [f"{event_id}-retry{n}" for n in range(SENDS_PER_DELIVERY - 3)]
    return [({**headers, "X-Discourse-Event-Id": one}, body) for one in ids]


def deadlocks() -> int:
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def fresh_pool() -> None:
    """Start a new connection pool: its server processes end (reporting their counters), and
    a connection an earlier test's thread kept cannot take one of the eight threads' places."""
    db.close()
    close_pool = getattr(db, "close_pool", None)
    if callable(close_pool):
        close_pool()


def deadlocks_after(before: int) -> int:
    """Deadlocks the server counted since ``before``."""
    fresh_pool()
    time.sleep(0.5)
    return deadlocks() - before


def run_threads(sends: list[Send], connection: DiscourseConnection) -> list[str]:
    """Receive and process ``sends`` from THREADS threads at once; returns their errors."""
    errors: list[str] = []
    barrier = threading.Barrier(THREADS)
    shards = [sends[n::THREADS] for n in range(THREADS)]

    def work(shard: list[Send]) -> None:
        try:
            barrier.wait()
            for headers, body in shard:
                received = receive_delivery(connection_id=connection.pk, headers=headers, body=body)
                assert received.status_code in (200, 202), received
                if received.delivery is not None:
                    process_delivery(delivery_id=received.delivery.pk)
        except BaseException as exc:
            errors.append(repr(exc))
        finally:
            db.close()

    fresh_pool()  # every connection of the pool is for the threads
    threads = [threading.Thread(target=work, args=(shard,)) for shard in shards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def assert_each_delivery_processed_once(count: int) -> None:
    assert InboundDelivery.objects.count() == count
    outcome = list(InboundDelivery.objects.order_by().values_list("status", "attempts").distinct())
    assert outcome == [(DeliveryStatus.PROCESSED, 1)]


def test_a_thousand_deliveries_sent_five_times_from_eight_threads_are_recorded_once(
    connection: DiscourseConnection, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(1000)
    members: set[int] = set()
    topics: set[int] = set()
    posts = 0
    sends: list[Send] = []
    for n in range(1000):
        topic = 50_000 + n % 60
        category = 1 + topic % 6  # a topic stays in its category
        user = 3_000 + (n * 7) % 97
        kind = ("post_created", "post_edited", "topic_created")[n % 3]
        if kind == "topic_created":
            data = recorded(
                kind,
                id=topic,
                title=f"Topic {topic}",
                category_id=category,
                created_by={"id": user, "username": f"member{user}"},
                user_id=user,
            )
        else:
            data = recorded(
                kind,
                id=200_000 + n,
                user_id=user,
                username=f"member{user}",
                topic_id=topic,
                topic_title=f"Topic {topic}",
                category_id=category,
                category_slug=f"category-{category}",
            )
            posts += 1
        members.add(user)
        topics.add(topic)
        sends += sends_of(connection, data, event_id=f"e{n}")
    rng.shuffle(sends)
    community = connection.community
    before = deadlocks()
    with caplog.at_level(logging.WARNING):
        errors = run_threads(sends, connection)
    assert errors == []
    assert errors_logged(caplog) == []
    assert deadlocks_after(before) == 0
    assert_each_delivery_processed_once(1000)
    assert ConductEvent.objects.filter(community=community).count() == posts
    assert (
        ConductEvent.objects.filter(community=community).values("external_id").distinct().count()
        == posts
    )
    assert ExternalIdentity.objects.filter(community=community).count() == len(members)
    assert Membership.objects.filter(community=community).count() == len(members)
    categories = {1 + t % 6 for t in topics}
    assert Space.objects.filter(community=community).count() == len(topics) + len(categories)
    assert Space.objects.filter(community=community, kind="topic").count() == len(topics)


def test_two_hundred_flags_on_one_member_from_eight_threads_charge_exactly_once(
    connection: DiscourseConnection, forum: FakeDiscourse, caplog: pytest.LogCaptureFixture
) -> None:
    forum.review = fixture("review_5121")  # flag types and the author (johnnee8, 11878)
    author = "11878"
    written = (timezone.now() - timedelta(days=1)).isoformat()
    sends: list[Send] = []
    for n in range(40):  # the author's posts, which the flags are about
        data = recorded("post_edited", id=400_000 + n, created_at=written, version=1)
        sends += sends_of(connection, data, event_id=f"p{n}")[:1]
    run_threads(sends, connection)
    sends = []
    for n in range(200):
        data = recorded("reviewable_approved", id=8_000 + n, post_id=400_000 + n % 40, version=2)
        sends += sends_of(connection, data, event_id=f"f{n}")
    random.Random(200).shuffle(sends)
    before = deadlocks()
    with caplog.at_level(logging.WARNING):
        errors = run_threads(sends, connection)
    assert errors == []
    assert errors_logged(caplog) == []
    assert deadlocks_after(before) == 0
    assert_each_delivery_processed_once(240)
    community = connection.community
    member = ExternalIdentity.objects.get(community=community, external_id=author).membership
    charges = Charge.objects.filter(membership=member)
    cost = get_policy(community=community).cost_for("flag_upheld", "moderate")
    assert charges.count() == 200
    assert charges.aggregate(total=Sum("cost"))["total"] == 200 * cost
    recalculate_community(community=community, kind=RecalcKind.DIRTY)
    budget = MemberBudget.objects.get(membership=member)
    assert budget.spent == Decimal(200 * cost)
    transitions = list(TierTransition.objects.filter(membership=member).order_by("sequence"))
    assert [t.sequence for t in transitions] == list(range(1, len(transitions) + 1))
    tiers = [Tier.HEALTHY.value] + [t.to_tier for t in transitions]
    assert [t.from_tier for t in transitions] == tiers[:-1]
    # Charges only add up here, so each tier is entered once and never twice.
    ranks = [Tier(tier).rank for tier in tiers]
    assert ranks == sorted(set(ranks))
    assert budget.tier == tiers[-1] == Tier.EXHAUSTED
    assert budget.transition_sequence == len(transitions)
