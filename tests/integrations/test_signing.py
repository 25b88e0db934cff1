"""The framework-free contract pieces: signatures, backoff, dedupe keys, topic ids."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from integrations.discourse.dedupe import content_key
from integrations.discourse.payloads import same_instance, topic_id_of
from integrations.retry import backoff_seconds
from integrations.signing import sign, signature_matches


def test_the_signature_is_sha256_hmac_of_the_raw_body() -> None:
    body = b'{"ping":"OK"}'
    expected = hmac.new(b"secret-secret", body, hashlib.sha256).hexdigest()
    assert sign("secret-secret", body) == f"sha256={expected}"
    assert signature_matches("secret-secret", body, f"sha256={expected}")


@pytest.mark.parametrize(
    "header",
    [None, "", "sha1=abc", "sha256=", "sha256=" + "0" * 64, sign("other-secret", b"{}")],
)
def test_anything_but_the_right_signature_fails(header: str | None) -> None:
    assert not signature_matches("secret-secret", b"{}", header)


def test_an_empty_secret_never_verifies() -> None:
    assert not signature_matches("", b"{}", sign("", b"{}"))


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n) for n in range(0, 5)] == [0.0, 5.0, 10.0, 20.0, 40.0]
    assert backoff_seconds(30) == 3600.0


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
