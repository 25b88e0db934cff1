"""A fast path for validating ordinary event items, beside ``EventInSerializer``.

DRF validates a 1000-event batch field by field, which costs more than storing it. Most items
are plain: strings without surrounding blanks, an aware ISO 8601 time, known kinds. For those,
``plain_event_data`` returns exactly the validated data the serializer would return; for anything
else it returns ``None`` and the caller asks the serializer, which also words every error. So the
serializer stays the one definition of what is valid, and this module may only ever be stricter
(tests/test_fast_events.py checks that on generated items).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.utils.dateparse import parse_datetime

from community.json_safety import json_problem
from community.models import SpaceKind
from community.vocabulary import FRICTION_KINDS, EventKind, Severity

_KINDS = frozenset(EventKind.values)
_SEVERITIES = frozenset(["", *Severity.values])
_SPACE_KINDS = frozenset(SpaceKind.values)


def _plain(value: Any, max_length: int, *, blank: bool = False) -> bool:
    """A string DRF's CharField would return unchanged."""
    return (
        type(value) is str
        and len(value) <= max_length
        and (blank or value != "")
        and value == value.strip()
        and value.isprintable()
    )


def _one_of(value: Any, allowed: frozenset[str]) -> bool:
    return type(value) is str and value in allowed


def _ref(value: Any, optional: dict[str, int]) -> dict[str, Any] | bool | None:
    """A member or space reference: the cleaned dict, None when absent, False when unusual."""
    if value is None:
        return None
    if type(value) is not dict or not _plain(value.get("external_id"), 100):
        return False
    cleaned = {"external_id": value["external_id"]}
    for key, max_length in optional.items():
        if key in value:
            if not _plain(value[key], max_length, blank=True):
                return False
            cleaned[key] = value[key]
    return cleaned


def plain_event_data(raw: Any) -> dict[str, Any] | None:
    """The serializer's validated data for a plain item, or None to let the serializer decide."""
    if type(raw) is not dict:
        return None
    if not _plain(raw.get("external_id"), 200) or not _one_of(raw.get("kind"), _KINDS):
        return None
    if "recorded_at" in raw:
        return None  # imported history: the serializer checks its time
    occurred = raw.get("occurred_at")
    if type(occurred) is not str or occurred != occurred.strip():
        return None
    try:
        when = parse_datetime(occurred)
        if when is None or when.tzinfo is None:
            return None
        when = when.astimezone(UTC)
    except (ValueError, OverflowError):
        return None  # an impossible date (30 February, hour 25) or beyond the calendar
    member = _ref(raw.get("member"), {"username": 150})
    space = _ref(raw.get("space"), {"name": 200})
    if member is False or space is False:
        return None
    if isinstance(space, dict) and "kind" in raw["space"]:
        if not _one_of(raw["space"]["kind"], _SPACE_KINDS):
            return None
        space["kind"] = raw["space"]["kind"]
    if raw["kind"] in FRICTION_KINDS and not member:
        return None
    data: dict[str, Any] = {
        "external_id": raw["external_id"],
        "kind": raw["kind"],
        "occurred_at": when,
    }
    for key, max_length in (("subject", 100), ("category", 60)):
        value = raw.get(key, "")
        if not _plain(value, max_length, blank=True):
            return None
        data[key] = value
    severity = raw.get("severity", "")
    if not _one_of(severity, _SEVERITIES):
        return None
    data["severity"] = severity
    payload = raw.get("payload", {})
    if (
        type(payload) is not dict
        or not all(type(key) is str for key in payload)
        or json_problem(payload) is not None
    ):
        return None
    data["payload"] = payload
    if "member" in raw:
        data["member"] = member
    if "space" in raw:
        data["space"] = space
    return data
