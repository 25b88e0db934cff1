"""Reading exports in tests: parse one, and normalise one so that two exports of the same data
under different ids and slugs compare equal (every id becomes its row's position in its table,
and every reference follows, by the same rules an import remaps with)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

from community.models import Community
from operations.exporter import export_community
from operations.remap import (
    IdMap,
    remap_dedupe_key,
    remap_id_list,
    remap_json,
    remap_link,
    remap_replay_results,
    remap_text_id,
)
from operations.tables import (
    COMMUNITY,
    DOMAIN_EVENT_REFERENCES,
    TABLES,
    TIMELINE_DATA_KEYS,
    USERS,
    concrete_fields,
    many_to_many,
)


def export_text(community: Community) -> str:
    out = StringIO()
    export_community(community=community, out=out)
    return out.getvalue()


def export_doc(community: Community) -> dict[str, Any]:
    return json.loads(export_text(community))


class _PlaceholderIds(IdMap):
    """Ids the import would invent (rows not in the file) become placeholders numbered in the
    order they first appear, so two exports of the same data normalise alike."""

    def new_or_invented(self, label: str, old: Any) -> Any:
        new = self.get(label, old)
        if new is None:
            new = f"{label}~{self.count(label) + 1}"
            self.add(label, old, new)
        return new


def normalised(doc: dict[str, Any]) -> dict[str, Any]:
    tables = doc["tables"]
    ids = _PlaceholderIds()
    for label, rows in tables.items():
        for position, row in enumerate(rows, start=1):
            pk = row.get("id", row.get("membership", row.get("community")))
            ids.add(label, pk, f"{label}#{position}")
    out: dict[str, Any] = {USERS: [{**u, "id": ids.get(USERS, u["id"])} for u in tables[USERS]]}
    for table in TABLES:
        model = table.model
        relations = {
            f.name: f.related_model._meta.label_lower  # type: ignore[union-attr]
            for f in [*concrete_fields(model), *many_to_many(model)]
            if f.is_relation
        }
        rows = []
        for row in tables[table.label]:
            new: dict[str, Any] = {}
            for name, value in row.items():
                if name == "id":
                    new[name] = ids.get(table.label, value)
                elif name in relations:
                    target = relations[name]
                    new[name] = (
                        [ids.get(target, v) for v in value]
                        if isinstance(value, list)
                        else (None if value is None else ids.get(target, value))
                    )
                elif name in table.id_lists:
                    new[name] = remap_id_list(value, table.id_lists[name], ids)
                elif name in table.text_ids:
                    new[name] = remap_text_id(value, table.text_ids[name], ids)
                elif name in DOMAIN_EVENT_REFERENCES.get(table.label, ()):
                    new[name] = value and ids.get("community.domainevent", value)
                elif table.label == "incidents.timelineentry" and name == "dedupe_key":
                    new[name] = remap_dedupe_key(value, ids)
                elif table.label == "incidents.timelineentry" and name == "data":
                    keys = TIMELINE_DATA_KEYS.get(row["kind"], {})
                    new[name] = remap_json(value, ids, keys=keys)
                elif table.label == "replay.replay" and name == "results":
                    new[name] = remap_replay_results(value, ids)
                elif table.label == "community.notification" and name == "link":
                    new[name] = remap_link(value, "*", ids)
                elif name in table.json_fields:
                    new[name] = remap_json(value, ids)
                else:
                    new[name] = value
            if table.label == COMMUNITY:
                new["slug"] = "*"
            rows.append(new)
        out[table.label] = rows
    return out
