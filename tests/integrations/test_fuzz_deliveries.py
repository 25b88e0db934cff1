"""Mangled Discourse deliveries, each with a valid signature, through the real endpoint.

A seeded generator (the same cases on every run; the seed is in the failure message) starts
from the captured fixtures and breaks them: truncated JSON, a wrong type in any field, huge
strings, deep nesting, unicode oddities, missing and extra keys, JSON that is not an object,
bytes that are not UTF-8. Whatever arrives: never a 5xx; a refused delivery stores nothing; an
accepted one ends processed, ignored or set aside, within the allowed attempts, and never
because our code broke on it.
"""

from __future__ import annotations

import copy
import json
import logging
import random
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from integrations.discourse.process import process_delivery
from integrations.models import DeliveryStatus, DiscourseConnection, InboundDelivery
from tests.integrations.helpers import FakeDiscourse, deliver, fixture

SEED = 20261123
CASES = 400
TEMPLATES = [
    "post_created",
    "post_edited",
    "topic_created",
    "reviewable_created",
    "reviewable_approved",
    "reviewable_rejected",
]
USER = {
    "headers": {"X-Discourse-Event": "user_updated", "X-Discourse-Event-Type": "user"},
    "body": {"user": {"id": 11878, "username": "johnnee8", "suspended_at": None}},
}
EVENT_NAMES = [
    "post_created",
    "post_edited",
    "post_destroyed",
    "topic_created",
    "reviewable_created",
    "reviewable_transitioned_to",
    "user_created",
    "user_suspended",
    "ping",
    "something_new",
]
ODD_TEXT = [
    "",
    " ",
    "\x00",
    "nul\x00inside",
    "\ud800",
    "lone \udfff low",
    "😀" * 70,
    "\u202eevil rtl",
    "e\u0301" * 130,
    "\ufeffbom",
    "x" * 256,
    "y" * 5000,
    "-1",
    "007",
    "1e9",
    "\uff12\uff13",  # full-width digits
    "null",
]


def odd_value(rng: random.Random) -> Any:
    choice = rng.randrange(12)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, -(2**31), 2**31, 2**63, 2**70, 10**30])
    if choice == 3:
        return rng.choice([1.5, -0.0, 1e308, 3.0])
    if choice in (4, 5, 6):
        return rng.choice(ODD_TEXT)
    if choice == 7:
        return [rng.choice(ODD_TEXT), 1, None, {"id": 1}]
    if choice == 8:
        return {"id": rng.choice(ODD_TEXT), "username": rng.choice(ODD_TEXT)}
    if choice == 9:
        nested: Any = "deep"
        for _ in range(rng.choice([5, 30, 40])):
            nested = [nested] if rng.random() < 0.5 else {"k": nested}
        return nested
    if choice == 10:
        return []
    return {}


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def set_at(root: Any, path: tuple[Any, ...], new: Any, *, delete: bool = False) -> None:
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new


def mangled_body(rng: random.Random, body: dict[str, Any]) -> Any:
    body = copy.deepcopy(body)
    for _ in range(rng.randint(1, 6)):
        targets = paths(body)
        if not targets:
            break
        path = rng.choice(targets)
        roll = rng.random()
        if roll < 0.2:
            set_at(body, path, None, delete=True)  # a missing key
        elif roll < 0.3:
            inner = body
            for step in path[:-1]:
                inner = inner[step]
            if isinstance(inner, dict):
                inner[rng.choice(ODD_TEXT) or "extra"] = odd_value(rng)  # an extra key
        else:
            set_at(body, path, odd_value(rng))  # a wrong type or an odd value
    return body


def raw_body(rng: random.Random, body: dict[str, Any]) -> bytes:
    """The bytes sent: mostly mangled JSON objects, sometimes no object or no JSON at all."""
    roll = rng.random()
    if roll < 0.65:
        return json.dumps(mangled_body(rng, body), ensure_ascii=rng.random() < 0.7).encode(
            "utf-8", "surrogatepass"
        )
    text = json.dumps(body)
    if roll < 0.73:
        return text.encode()[: rng.randrange(1, len(text))]  # truncated JSON
    if roll < 0.8:
        return json.dumps(odd_value(rng) if rng.random() < 0.5 else [body]).encode(
            "utf-8", "surrogatepass"
        )
    if roll < 0.86:
        return text.encode(rng.choice(["utf-16", "utf-16-le", "utf-32", "cp1252"]))
    if roll < 0.9:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    if roll < 0.94:
        return b'{"post": ' + b"[" * 40_000 + b"]" * 40_000 + b"}"
    if roll < 0.97:
        return b"\xef\xbb\xbf" + text.encode()  # a UTF-8 byte-order mark
    return text.encode().replace(b'"', b"'")


def with_fresh_ids(rng: random.Random, template: dict[str, Any]) -> dict[str, Any]:
    """Distinct ids and versions, so cases are news to the content dedupe."""
    data = copy.deepcopy(template)
    for obj in data["body"].values():
        if isinstance(obj, dict):
            obj["id"] = rng.randrange(1, 10**9)
            if "version" in obj:
                obj["version"] = rng.randrange(1, 50)
    return data


def case(rng: random.Random) -> tuple[dict[str, str], bytes]:
    name = rng.randrange(len(TEMPLATES) + 1)
    template = USER if name == len(TEMPLATES) else fixture(TEMPLATES[name])
    data = with_fresh_ids(rng, template)
    headers = dict(data["headers"])
    if rng.random() < 0.15:
        headers["X-Discourse-Event"] = rng.choice(EVENT_NAMES)
    headers["X-Discourse-Event-Id"] = str(rng.randrange(10**12))
    return headers, raw_body(rng, data["body"])


@pytest.fixture
def detail_for(forum: FakeDiscourse) -> Callable[[random.Random], None]:
    """The forum's review detail, itself mangled now and then (the forum is outside too)."""
    detail = fixture("review_5121")

    def plan(rng: random.Random) -> None:
        forum.review = mangled_body(rng, detail) if rng.random() < 0.3 else detail

    return plan


def test_mangled_signed_deliveries_never_break_the_endpoint_or_the_processing(
    connection: DiscourseConnection,
    detail_for: Callable[[random.Random], None],
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rng = random.Random(SEED)
    web = Client(enforce_csrf_checks=True)
    outcomes: dict[int, int] = {}
    for number in range(CASES):
        headers, body = case(rng)
        detail_for(rng)
        before = InboundDelivery.objects.count()
        where = f"case {number} (seed {SEED}): {body[:160]!r}"
        with (
            caplog.at_level(logging.ERROR, logger="integrations"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = deliver(web, connection, {"headers": headers}, raw=body)
        outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
        assert response.status_code < 500, where
        if response.status_code != 202:
            assert response.status_code in (200, 400), where
            assert InboundDelivery.objects.count() == before, where
            continue
        assert InboundDelivery.objects.count() == before + 1, where
        delivery = InboundDelivery.objects.latest("pk")
        for _ in range(InboundDelivery.MAX_ATTEMPTS + 1):
            if delivery.status not in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
                break
            delivery = process_delivery(delivery_id=delivery.pk) or delivery
        assert delivery.status in (
            DeliveryStatus.PROCESSED,
            DeliveryStatus.IGNORED,
            DeliveryStatus.DEAD_LETTER,
        ), f"{where}: {delivery.status} {delivery.note}"
        assert 1 <= delivery.attempts <= InboundDelivery.MAX_ATTEMPTS, where
        assert "unexpected error" not in delivery.note, f"{where}: {delivery.note}"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    # The generator reaches every outcome: stored, refused and (rarely) a duplicate.
    assert outcomes.get(202, 0) > CASES // 3 and outcomes.get(400, 0) > CASES // 10, outcomes
