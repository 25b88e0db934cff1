"""The "what is new" keys and the Discourse ids they rest on (framework-free)."""

from __future__ import annotations

import json

import pytest

from integrations.discourse.dedupe import content_key
from integrations.discourse.payloads import same_instance, topic_id_of


@pytest.mark.parametrize(
    ("header", "base", "same"),
    [
        ("https://forum.example.org", "https://forum.example.org", True),
        ("https://Forum.example.org/", "https://forum.example.org", True),
        ("https://other.example.org", "https://forum.example.org", False),
        (None, "https://forum.example.org", False),
    ],
)
def test_instance_check(header: str | None, base: str, same: bool) -> None:
    assert same_instance(header, base) is same


def test_content_keys_ignore_the_event_id_but_not_the_version() -> None:
    post = {"post": {"id": 5, "version": 1, "raw": "a"}}
    raw = json.dumps(post).encode()
    assert content_key("post_edited", post, raw) == "post_edited:post:5:v1"
    post["post"]["version"] = 2
    assert content_key("post_edited", post, raw) == "post_edited:post:5:v2"
    user = {"user": {"id": 9}}
    key = content_key("user_updated", user, b'{"user":{"id":9}}')
    assert key.startswith("user_updated:sha256:")
    assert key != content_key("user_updated", user, b'{"user":{"id":9,"x":1}}')


@pytest.mark.parametrize(
    ("external_id", "topic"),
    [("topic:46582", "46582"), ("t/12", "12"), ("77", "77"), ("category:5", None), ("", None)],
)
def test_topic_ids_from_space_external_ids(external_id: str, topic: str | None) -> None:
    assert topic_id_of(external_id) == topic
