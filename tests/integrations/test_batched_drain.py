"""The batched drain gives exactly what processing the same deliveries one by one gives."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from budgets.models import Charge, Forgiveness, MemberBudget
from budgets.recalculation import recalculate_community
from community.models import Community, ConductEvent, ExternalIdentity, Space
from integrations.discourse.dedupe import content_key
from integrations.discourse.drain import drain_batch
from integrations.discourse.payloads import post_external_id
from integrations.discourse.process import process_delivery
from integrations.models import DeliveryStatus, DiscourseConnection, InboundDelivery
from tests.integrations.helpers import SECRET, fixture

pytestmark = pytest.mark.django_db


def _post(n: int, user: int, topic: int, *, name: str = "", title: str = "") -> dict[str, Any]:
    data = copy.deepcopy(fixture("post_created"))
    at = (timezone.now() - timedelta(hours=5) + timedelta(minutes=n)).isoformat()
    data["body"]["post"].update(
        id=500 + n,
        user_id=user,
        username=name or f"member_{user}",
        topic_id=topic,
        topic_title=title or f"Topic {topic}",
        created_at=at,
    )
    data["headers"]["X-Discourse-Event-Id"] = f"p{n}"
    return data


def _flag(n: int, post: int, author: int, status: int) -> dict[str, Any]:
    data = copy.deepcopy(fixture("reviewable_approved"))
    data["body"]["reviewable"].update(
        id=9000 + n, post_id=500 + post, target_created_by_id=author, status=status, version=n
    )
    data["headers"]["X-Discourse-Event-Id"] = f"f{n}"
    return data


def _history() -> list[dict[str, Any]]:
    """Posts by six members on three topics, renames, flags upheld and rejected, a flag
    rejected before another is upheld on the same post, a bad payload in the middle, the same
    post delivered twice (as created and as edited) and a topic."""
    items: list[dict[str, Any]] = []
    for n in range(30):
        items.append(_post(n, 100 + n % 6, 40 + n % 3))
    items.append(_post(30, 101, 40, name="renamed_101", title="Renamed topic"))
    items.append({"raw": "{not json"})
    edited = copy.deepcopy(_post(3, 103, 40))
    edited["headers"].update({"X-Discourse-Event": "post_edited", "X-Discourse-Event-Id": "e3"})
    items.append(edited)
    items += [_flag(1, 0, 100, 1), _flag(2, 1, 101, 1), _flag(3, 1, 101, 2)]
    items += [_flag(4, 2, 102, 2), _flag(5, 2, 102, 1), _flag(6, 4, 104, 3)]
    items.append(copy.deepcopy(fixture("topic_created")))
    items += [_post(31 + n, 106, 41) for n in range(5)]
    return items


def _store(connection: DiscourseConnection, items: list[dict[str, Any]]) -> list[int]:
    ids = []
    for i, item in enumerate(items):
        headers = item.get("headers", {"X-Discourse-Event": "post_created"})
        text = item["raw"] if "raw" in item else json.dumps(item["body"])
        data = item.get("body", {})
        name = headers["X-Discourse-Event"]
        row = InboundDelivery.objects.create(
            connection=connection,
            event_id=f"{headers.get('X-Discourse-Event-Id', 'x')}-{i}",
            event_name=name,
            content_key=f"{i}:{content_key(name, data, text.encode())}"[:200],
            headers=headers,
            body=text,
            received_at=timezone.now() - timedelta(seconds=len(items) - i),
        )
        ids.append(row.pk)
    return ids


def _connected(slug: str) -> DiscourseConnection:
    community = Community.objects.create(slug=slug, name=slug)
    return DiscourseConnection.objects.create(
        community=community, base_url=f"https://{slug}.example", webhook_secret=SECRET
    )


def _state(community: Community) -> dict[str, Any]:
    recalculate_community(community=community)
    member = "member__identities__external_id"
    return {
        "events": sorted(
            ConductEvent.objects.filter(community=community).values_list(
                "external_id",
                "kind",
                "severity",
                "occurred_at",
                "subject",
                member,
                "space__external_id",
            )
        ),
        "charges": sorted(
            Charge.objects.filter(community=community).values_list(
                "event__external_id", "cost", "membership__identities__external_id"
            )
        ),
        "released": sorted(
            Forgiveness.objects.filter(community=community).values_list(
                "charge__event__external_id", "event__external_id"
            )
        ),
        "budgets": sorted(
            MemberBudget.objects.filter(community=community).values_list(
                "membership__identities__external_id", "spent", "remaining", "tier"
            )
        ),
        "people": sorted(
            ExternalIdentity.objects.filter(community=community).values_list(
                "external_id", "username", "membership__display_name"
            )
        ),
        "spaces": sorted(
            Space.objects.filter(community=community).values_list(
                "external_id", "name", "kind", "parent__external_id"
            )
        ),
        "deliveries": list(
            InboundDelivery.objects.filter(connection__community=community)
            .order_by("received_at")
            .values_list("status", "attempts", "note")
        ),
    }


def test_a_batch_equals_one_by_one_processing() -> None:
    one, batched = _connected("one"), _connected("batched")
    history = _history()
    for delivery_id in _store(one, history):
        process_delivery(delivery_id=delivery_id)
    _store(batched, history)
    taken = 0
    while step := drain_batch(connection=batched):
        taken += step
    assert taken == len(history)
    expected, got = _state(one.community), _state(batched.community)
    assert got == expected
    statuses = [status for status, _, _ in got["deliveries"]]
    assert statuses.count(DeliveryStatus.FAILED) == 1  # the bad payload, alone
    assert len(got["released"]) == 1 and len(got["charges"]) == 3


@pytest.fixture
def refused_post() -> Iterator[str]:
    """The database refuses one post's event (a trigger: a real failure, not a stand-in), the
    way a constraint the parsing cannot foresee would."""
    refused = post_external_id("505")
    table = ConductEvent._meta.db_table
    with db.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_post() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.external_id = '{refused}' THEN RAISE EXCEPTION 'refused by the test'; "
            "END IF; RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER refuse_post BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_post()"
        )
    yield refused
    with db.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER refuse_post ON {table}")
        cursor.execute("DROP FUNCTION refuse_post()")


@pytest.mark.postgres
def test_a_database_failure_in_a_batch_falls_back_to_one_by_one(refused_post: str) -> None:
    one, batched = _connected("one"), _connected("batched")
    history = _history()[:10]
    for delivery_id in _store(one, history):
        process_delivery(delivery_id=delivery_id)
    _store(batched, history)
    assert drain_batch(connection=batched) == 10
    got = _state(batched.community)
    assert got == _state(one.community)
    # Only the refused post's delivery failed (and will be retried); the nine others are in.
    statuses = [status for status, _, _ in got["deliveries"]]
    assert statuses.count(DeliveryStatus.FAILED) == 1
    assert refused_post not in {event[0] for event in got["events"]}
    assert len(got["events"]) == 9


def test_a_batch_costs_far_fewer_queries_per_delivery() -> None:
    single, batched = _connected("single"), _connected("batched")
    [first] = _store(single, [_post(0, 100, 40)])
    with CaptureQueriesContext(db) as one:
        process_delivery(delivery_id=first)
    _store(batched, [_post(n, 100 + n % 7, 40 + n % 4) for n in range(50)])
    with CaptureQueriesContext(db) as fifty:
        assert drain_batch(connection=batched) == 50
    assert len(fifty) / 50 < len(one) / 10, (len(fifty), len(one))
