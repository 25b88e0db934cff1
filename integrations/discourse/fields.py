"""What each field of a Discourse delivery must look like before it is stored, framework-free.

A delivery is verified and stored raw before anyone reads it, so whatever is inside has to be
made storable here, field by field, or it fails on every attempt to process it. The limits are
those of the spine's columns, the same the events API holds items to (``community/serializers.py``;
a test keeps the three equal). The rules, in order of honesty:

- ids are integers (Discourse's are; some serializers send digits as a string): anything else
  is not an id, and what it would have identified is not recorded;
- names and titles are for people: unstorable characters (NUL, a lone surrogate) become U+FFFD
  and a name longer than its column is shortened with an ellipsis (Discourse allows 255-character
  topic titles; our space names hold 200);
- a username is how people recognise each other, so it is never altered: one that cannot be
  stored as it is is left out (the member keeps a neutral name) and the note says why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from community.json_safety import printable, text_problem

# The spine's columns (and the events API's limits).
EXTERNAL_ID_MAX = 100  # ExternalIdentity.external_id, Space.external_id, ConductEvent.subject
EVENT_ID_MAX = 200  # ConductEvent.external_id
USERNAME_MAX = 150  # ExternalIdentity.username, Membership.display_name
SPACE_NAME_MAX = 200  # Space.name
CATEGORY_MAX = 60  # ConductEvent.category (a flag type)
# Discourse ids are 32- or 64-bit integers.
ID_DIGITS_MAX = 19
ELLIPSIS = "…"


def forum_id(value: Any) -> str | None:
    """A Discourse record id as text (``-1`` is the system user), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    digits = text.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > ID_DIGITS_MAX:
        return None
    return str(int(text))


def plain_int(value: Any) -> int | None:
    """A small JSON integer (a post number, a status), or None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if abs(value) < 2**63 else None


def display_name(value: Any, limit: int) -> tuple[str, str]:
    """A name or title for people, made storable; with what was changed ("" if nothing)."""
    if value is None or isinstance(value, bool):
        return "", ""
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return "", "left out (not text)"
    text = value.strip()
    changed = []
    if text_problem(text):
        text = printable(text, limit=len(text))
        changed.append("characters that cannot be stored were replaced")
    if len(text) > limit:
        text = text[: limit - 1] + ELLIPSIS
        changed.append(f"shortened to {limit} characters")
    return text, " and ".join(changed)


def username(value: Any) -> tuple[str, str]:
    """A forum username exactly as given, or "" with the reason it cannot be stored as given."""
    if value is None or value == "":
        return "", ""
    if not isinstance(value, str):
        return "", "is not text"
    problem = text_problem(value)
    if problem:
        return "", problem
    if len(value) > USERNAME_MAX:
        return "", f"is longer than {USERNAME_MAX} characters"
    return value, ""


def flag_type(value: Any) -> str | None:
    """A flag type name that fits the event's category column, or None."""
    if not isinstance(value, str) or not value or len(value) > CATEGORY_MAX:
        return None
    return None if text_problem(value) else value


def free_text(value: Any) -> str | None:
    """Text kept in an event's JSON payload (a suspension reason): storable, or None."""
    if not isinstance(value, str):
        return None
    return printable(value, limit=2000) if text_problem(value) else value[:2000]


def parse_time(value: Any) -> datetime | None:
    """An aware time from Discourse's ISO 8601 text, or None (also for times beyond the
    calendar once in UTC)."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return parsed


def dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON list (anything else: none)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]
