"""The field rules of Discourse deliveries (framework-free) and the limits they rest on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from community.models import ConductEvent, ExternalIdentity, Membership, Space
from community.serializers import EventInSerializer, MemberRefSerializer, SpaceRefSerializer
from integrations.discourse import fields


def max_length(model: type, name: str) -> int:
    return model._meta.get_field(name).max_length  # type: ignore[attr-defined]


def test_the_limits_are_the_columns_and_the_events_api() -> None:
    assert max_length(ExternalIdentity, "external_id") == fields.EXTERNAL_ID_MAX
    assert max_length(Space, "external_id") == fields.EXTERNAL_ID_MAX
    assert max_length(ConductEvent, "subject") == fields.EXTERNAL_ID_MAX
    assert max_length(ConductEvent, "external_id") == fields.EVENT_ID_MAX
    assert max_length(ExternalIdentity, "username") == fields.USERNAME_MAX
    assert max_length(Membership, "display_name") == fields.USERNAME_MAX
    assert max_length(Space, "name") == fields.SPACE_NAME_MAX
    assert max_length(ConductEvent, "category") == fields.CATEGORY_MAX
    api = EventInSerializer().fields
    assert api["external_id"].max_length == fields.EVENT_ID_MAX
    assert api["category"].max_length == fields.CATEGORY_MAX
    assert MemberRefSerializer().fields["username"].max_length == fields.USERNAME_MAX
    assert SpaceRefSerializer().fields["name"].max_length == fields.SPACE_NAME_MAX


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (79563, "79563"),
        ("79563", "79563"),
        (-1, "-1"),  # Discourse's system user
        (True, None),
        (1.5, None),
        ("12a", None),
        ("²", None),
        ("9" * 20, None),
        ({"id": 1}, None),
        (None, None),
    ],
)
def test_forum_ids_are_integers(value: object, expected: str | None) -> None:
    assert fields.forum_id(value) == expected


def test_names_are_made_storable_and_shortened_with_an_ellipsis() -> None:
    assert fields.display_name("Docs meeting", 200) == ("Docs meeting", "")
    assert fields.display_name("a\x00b\ud800", 200) == (
        "a\ufffdb\ufffd",
        "characters that cannot be stored were replaced",
    )
    text, changed = fields.display_name("x" * 255, 200)
    assert text == "x" * 199 + "…" and changed == "shortened to 200 characters"
    assert fields.display_name(["a"], 200) == ("", "left out (not text)")
    assert fields.display_name(42, 200) == ("42", "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("darknao", ("darknao", "")),
        ("u" * 150, ("u" * 150, "")),
        ("u" * 151, ("", "is longer than 150 characters")),
        ("a\x00b", ("", "must not contain the NUL character")),
        ("a\udc00", ("", "must be valid Unicode (it contains a lone surrogate)")),
        (7, ("", "is not text")),
        (None, ("", "")),
    ],
)
def test_usernames_are_kept_exactly_or_left_out(value: object, expected: tuple[str, str]) -> None:
    assert fields.username(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-02-09T10:19:46.324Z", datetime(2023, 2, 9, 10, 19, 46, 324000, tzinfo=UTC)),
        ("2023-02-09T10:19:46", datetime(2023, 2, 9, 10, 19, 46, tzinfo=UTC)),
        ("0001-01-01T00:00:00+05:00", None),  # before the calendar once in UTC
        ("9999-12-31T23:59:59-05:00", None),
        ("yesterday", None),
        (1675937986, None),
    ],
)
def test_times_are_aware_and_within_the_calendar(value: object, expected: object) -> None:
    assert fields.parse_time(value) == expected
