"""The fast path for plain event items may only ever be stricter than EventInSerializer: whatever
it accepts, the serializer accepts too, with the same cleaned values (community/fast_events.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community.fast_events import plain_event_data
from community.serializers import EventInSerializer, to_event_input

texts = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["p-1", " p-1", "p-1 ", "", "2288", "a\x00b", "tab\there", "x" * 101]),
    st.text(min_size=95, max_size=205),
    st.integers(),
    st.none(),
    st.booleans(),
)
times = st.one_of(
    st.sampled_from(
        [
            "2026-11-20T10:00:00Z",
            "2026-11-20T10:00:00+02:00",
            "2026-11-20T10:00:00.123456-05:30",
            "2026-11-20T10:00:00",
            "2026-11-20 10:00:00Z",
            " 2026-11-20T10:00:00Z",
            "yesterday",
            "2026-02-30T10:00:00Z",
        ]
    ),
    st.integers(),
    st.none(),
)
severities = st.one_of(st.sampled_from(["", "minor", "moderate", "severe", "Severe"]), texts)
space_kinds = st.sampled_from(["category", "topic", "channel", "galaxy", "", None])


ids = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
names = st.one_of(st.just(""), st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,30}[a-z]", fullmatch=True))
VALID_TIMES = [
    "2026-11-20T10:00:00Z",
    "2026-11-20T10:00:00+02:00",
    "2026-11-20T10:00:00.123456-05:30",
]
# Values that are odd for some field: wrong types, blanks, padding, lengths at and over limits.
near_misses = st.sampled_from(
    [
        " p-1",
        "p-1 ",
        "",
        "x" * 61,
        "x" * 101,
        "x" * 151,
        "x" * 201,
        "a\x00b",
        "2026-11-20T10:00:00",
        " 2026-11-20T10:00:00Z",
        "Severe",
        "galaxy",
        "rant",
        7,
        None,
        {},
        [],
        True,
    ]
)
odd = st.one_of(
    near_misses,
    near_misses,
    near_misses,
    texts,
    times,
    space_kinds,
    st.dictionaries(st.text(max_size=3), texts, max_size=2),
)


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    """A valid item, then (usually) one field or nested field replaced or removed."""
    item: dict[str, Any] = {
        "external_id": draw(ids),
        "kind": draw(st.sampled_from(["post", "flag_upheld", "flag_raised", "post_removed"])),
        "occurred_at": draw(st.sampled_from(VALID_TIMES)),
    }
    if draw(st.booleans()):
        member: dict[str, Any] = {"external_id": draw(ids)}
        if draw(st.booleans()):
            member["username"] = draw(names)
        item["member"] = member
    if draw(st.booleans()):
        space: dict[str, Any] = {"external_id": draw(ids)}
        if draw(st.booleans()):
            space["name"] = draw(names)
        if draw(st.booleans()):
            space["kind"] = draw(st.sampled_from(["category", "topic", "channel"]))
        item["space"] = space
    for key, value in (("subject", ids), ("category", ids), ("severity", severities)):
        if draw(st.booleans()):
            item[key] = draw(value)
    if draw(st.booleans()):
        item["payload"] = draw(st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
    target = draw(
        st.sampled_from(
            [
                None,
                "external_id",
                "kind",
                "occurred_at",
                "member",
                "space",
                "subject",
                "category",
                "severity",
                "payload",
                "member.external_id",
                "member.username",
                "space.name",
                "space.kind",
            ]
        )
    )
    if target is not None:
        outer, _, inner = target.partition(".")
        holder = item.get(outer) if inner else item
        key = inner or outer
        if isinstance(holder, dict):
            if draw(st.booleans()):
                holder.pop(key, None)
            else:
                holder[key] = draw(odd)
    return item


@settings(max_examples=1500, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(items())
def test_whatever_the_fast_path_accepts_the_serializer_accepts_identically(item: Any) -> None:
    plain = plain_event_data(item)
    if plain is None:
        return
    serializer = EventInSerializer(data=item)
    assert serializer.is_valid(), serializer.errors
    assert to_event_input(plain) == to_event_input(serializer.validated_data)


def test_a_plain_item_takes_the_fast_path() -> None:
    item = {
        "external_id": "p-90412",
        "kind": "post",
        "occurred_at": "2026-11-20T10:00:00Z",
        "member": {"external_id": "2288", "username": "rileyq"},
        "space": {"external_id": "5", "name": "Proposals"},
        "subject": "p-90412",
        "category": "",
        "severity": "",
    }
    plain = plain_event_data(item)
    assert plain is not None
    serializer = EventInSerializer(data=item)
    assert serializer.is_valid()
    assert to_event_input(plain) == to_event_input(serializer.validated_data)


def test_an_unusual_item_is_left_to_the_serializer() -> None:
    assert plain_event_data({"external_id": " p-1", "kind": "post", "occurred_at": "x"}) is None
    assert plain_event_data({"external_id": 7, "kind": "post", "occurred_at": "x"}) is None


PLAIN = {
    "external_id": "p-1",
    "kind": "post",
    "occurred_at": "2026-11-20T10:00:00Z",
    "member": {"external_id": "2288", "username": "rileyq"},
    "space": {"external_id": "5", "name": "Proposals", "kind": "topic"},
    "subject": "p-1",
    "category": "",
    "severity": "",
}


def with_value(path: str, value: Any) -> dict[str, Any]:
    item = {k: dict(v) if isinstance(v, dict) else v for k, v in PLAIN.items()}
    outer, _, inner = path.partition(".")
    (item[outer] if inner else item)[inner or outer] = value
    return item


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("external_id", "x" * 201),
        ("external_id", ""),
        ("external_id", "p-1 "),
        ("external_id", "a\x00b"),
        ("member.external_id", "x" * 101),
        ("member.external_id", ""),
        ("member.username", "x" * 151),
        ("space.name", "x" * 201),
        ("space.kind", "galaxy"),
        ("subject", "x" * 101),
        ("category", "x" * 61),
        ("category", " off_topic"),
        ("severity", "Severe"),
        ("occurred_at", "2026-11-20T10:00:00"),
        ("kind", "rant"),
    ],
)
def test_an_item_at_a_limit_is_left_to_the_serializer(path: str, value: Any) -> None:
    """Each value is just past what the serializer returns unchanged: too long, blank, padded,
    a control character, an unknown choice, a time without a zone."""
    assert plain_event_data(PLAIN) is not None
    assert plain_event_data(with_value(path, value)) is None
