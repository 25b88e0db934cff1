"""Old ids to new ids: the table an import keeps while it inserts, and the rewriting of ids that
live inside JSON and text (payloads, clause definitions, timeline data, dedupe keys).

An id that names no row of the file (a row the community never had, or one pruned since) is
dropped from a list and becomes null under a key: it must never point at another community's row.
A domain event id without its event (the outbox is pruned) gets a fresh id, the same one
everywhere in the file, so unique keys built from it cannot collide with the source's.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from typing import Any

from operations.tables import DEDUPE_KEY_PREFIXES, DOMAIN_EVENTS, JSON_KEYS


class IdMap:
    def __init__(self) -> None:
        self._ids: dict[str, dict[Any, Any]] = defaultdict(dict)

    def add(self, label: str, old: Any, new: Any) -> None:
        self._ids[label][_key(old)] = new

    def get(self, label: str, old: Any) -> Any | None:
        return self._ids[label].get(_key(old))

    def has(self, label: str, old: Any) -> bool:
        return _key(old) in self._ids[label]

    def event_id(self, old: Any) -> Any:
        """The new id of a domain event, invented (once) for an event not in the file."""
        return self.new_or_invented(DOMAIN_EVENTS, old)

    def new_or_invented(self, label: str, old: Any) -> Any:
        """The new id of ``old``, or one invented (once, the same everywhere in the file) for a
        row the file does not hold, so a unique key built from it cannot collide."""
        new = self.get(label, old)
        if new is None:
            new = uuid.uuid4()
            self.add(label, old, new)
        return new

    def count(self, label: str) -> int:
        return len(self._ids[label])


def _key(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _ref(value: Any, label: str, ids: IdMap) -> Any:
    """One reference under a known key: an id, a list of ids, or an object with an ``id``."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | str):
        new = ids.get(label, value)
        if new is None:
            return None
        return str(new) if isinstance(value, str) else new
    if isinstance(value, list):
        mapped = [_ref(item, label, ids) for item in value]
        return [item for item in mapped if item is not None]
    if isinstance(value, dict):
        out = remap_json({k: v for k, v in value.items() if k != "id"}, ids)
        if "id" in value:
            out["id"] = _ref(value["id"], label, ids)
        return out
    return value


def remap_json(value: Any, ids: IdMap, *, keys: dict[str, str] | None = None) -> Any:
    """``value`` with every id under a key of ``JSON_KEYS`` (or ``keys``) made new."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            label = (keys or {}).get(k) or JSON_KEYS.get(k)
            out[k] = _ref(v, label, ids) if label else remap_json(v, ids)
        return out
    if isinstance(value, list):
        return [remap_json(item, ids) for item in value]
    return value


def remap_id_list(value: Any, label: str, ids: IdMap) -> list[Any] | dict[str, Any]:
    """A list of ids, or an object whose values are ids (a forum category -> a space)."""
    if isinstance(value, dict):
        mapped = {key: ids.get(label, old) for key, old in value.items()}
        return {key: new for key, new in mapped.items() if new is not None}
    if not isinstance(value, list):
        raise ValueError("is not a list of ids")
    return [new for new in (ids.get(label, old) for old in value) if new is not None]


def remap_text_id(value: str, label: str, ids: IdMap) -> str:
    if not value:
        return value
    new = ids.get(label, value)
    return "" if new is None else str(new)


def remap_dedupe_key(value: str | None, ids: IdMap) -> str | None:
    """``alert:<event id>``, ``forum:<event id>``, ``check-in:<step run id>``,
    ``pm:<postmortem id>:<step>``: the same key for the new rows, with an invented id where the
    row it names is not in the file (a key of another form is kept; the unique index then says
    if it collides)."""
    if not value or ":" not in value:
        return value
    prefix, _, rest = value.partition(":")
    old, sep, tail = rest.partition(":")
    label = DEDUPE_KEY_PREFIXES.get(prefix)
    if label is None:
        return value
    return f"{prefix}:{ids.new_or_invented(label, old)}{sep}{tail}"


def remap_replay_results(value: Any, ids: IdMap) -> Any:
    """A replay's results: each alert's ``scope`` is a space's id as text ("" for the whole
    community) and ``space_names`` is keyed by those ids."""
    if not isinstance(value, dict):
        return value
    out = dict(value)
    if isinstance(value.get("alerts"), list):
        out["alerts"] = [
            {**a, "scope": remap_text_id(str(a.get("scope") or ""), "community.space", ids)}
            if isinstance(a, dict)
            else a
            for a in value["alerts"]
        ]
    if isinstance(value.get("space_names"), dict):
        names = {
            remap_text_id(str(key), "community.space", ids): name
            for key, name in value["space_names"].items()
        }
        out["space_names"] = {key: name for key, name in names.items() if key}
    return out


# The ids a notification's link names: ``/c/<slug>/<path>/<id>/…`` and ``#<anchor>-<id>``.
LINK_PATHS: dict[str, str] = {
    "incidents": "incidents.incident",
    "postmortems": "postmortems.postmortem",
    "contract/releases/canaries": "releases.canary",
    "game-days": "gamedays.gameday",
}
LINK_ANCHORS: dict[str, str] = {"item": "postmortems.actionitem", "appeal": "budgets.appeal"}
_LINK = re.compile(r"^/c/[^/]+/(?P<rest>[^#]*)(?:#(?P<anchor>.*))?$")
_ANCHOR = re.compile(r"^(?P<name>[a-z]+)-(?P<id>\d+)$")


def remap_link(value: str, slug: str, ids: IdMap) -> str:
    """A link into the community (``/c/<slug>/…``) under its new slug, with the row it names
    made new; a link naming a row the file does not hold goes to the community's home."""
    match = _LINK.match(value or "")
    if match is None:
        return value
    rest, anchor = match["rest"], match["anchor"]
    for prefix, label in LINK_PATHS.items():
        head, sep, tail = rest.partition(f"{prefix}/")
        if head or not sep:
            continue
        old, slash, after = tail.partition("/")
        if old.isdigit():
            new = ids.get(label, old)
            if new is None:
                return f"/c/{slug}/"
            rest = f"{prefix}/{new}{slash}{after}"
        break
    if anchor is not None:
        found = _ANCHOR.match(anchor)
        if found and found["name"] in LINK_ANCHORS:
            new = ids.get(LINK_ANCHORS[found["name"]], found["id"])
            anchor = "" if new is None else f"{found['name']}-{new}"
        return f"/c/{slug}/{rest}" + (f"#{anchor}" if anchor else "")
    return f"/c/{slug}/{rest}"
