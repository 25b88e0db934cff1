"""``export_community``: every row of one community, across every app, as one JSON document.

The document is written as it is read, a table at a time and a row per line (the rows of a
table come from a server-side cursor), so memory stays flat however many events a community has.
It is read inside one REPEATABLE READ transaction on PostgreSQL: a consistent picture even while
the forum keeps sending events. Rows are in a fixed order and every value in one normal form, so
two exports of the same data are the same bytes (the file holds no time of its own).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction

from community.models import Community
from operations import values
from operations.tables import (
    TABLES,
    USER_FIELDS,
    USERS,
    Table,
    concrete_fields,
    many_to_many,
    model_field,
    through_model,
)

FORMAT = "community-sre-export"
FORMAT_VERSION = 1
CHUNK = 2_000


class ExportRefused(Exception):
    """The community cannot be exported on its own; the message says why."""


@dataclass
class ExportSummary:
    slug: str
    counts: dict[str, int] = field(default_factory=dict)


def _dumps(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=True, separators=(", ", ": "))


def community_rows(table: Table, community: Community) -> models.QuerySet[Any]:
    manager = table.model._default_manager
    lookup = "pk" if not table.path else table.path
    return manager.filter(**{lookup: community.pk})


def _is_user(f: models.Field[Any, Any]) -> bool:
    return f.is_relation and f.related_model is get_user_model()


def _user_ids(community: Community) -> list[int]:
    """Every login the community's rows name: members and the authors of anything."""
    ids: set[int] = set()
    for table in TABLES:
        for f in concrete_fields(table.model):
            if _is_user(f):
                rows = community_rows(table, community).exclude(**{f.name: None})
                ids.update(rows.values_list(f.attname, flat=True).distinct())
    return sorted(ids)


def _m2m(table: Table, community: Community) -> dict[str, dict[Any, list[Any]]]:
    """For each many-to-many field, the related ids per row (sorted)."""
    result: dict[str, dict[Any, list[Any]]] = {}
    for m2m in many_to_many(table.model):
        through = through_model(m2m)
        source = m2m.m2m_field_name()
        target = m2m.m2m_reverse_field_name()
        lookup = f"{source}__{table.path}" if table.path else source
        links: dict[Any, list[Any]] = defaultdict(list)
        pairs = (
            through._default_manager.filter(**{lookup: community.pk})
            .order_by(f"{source}_id", f"{target}_id")
            .values_list(f"{source}_id", f"{target}_id")
        )
        for row_id, target_id in pairs:
            links[row_id].append(target_id)
        result[m2m.name] = links
    return result


def table_rows(table: Table, community: Community) -> Iterator[dict[str, Any]]:
    left_out = {*table.secrets, *table.made_on_import}
    fields = [f for f in concrete_fields(table.model) if f.name not in left_out]
    links = _m2m(table, community)
    pk = table.model._meta.pk
    assert pk is not None
    rows = (
        community_rows(table, community)
        .order_by(*table.order_by)
        .values_list(*[f.attname for f in fields])
        .iterator(chunk_size=CHUNK)
    )
    for raw in rows:
        row = {f.name: values.encode(f, value) for f, value in zip(fields, raw, strict=True)}
        for name, by_row in links.items():
            row[name] = by_row.get(row[pk.name], [])
        yield row


def user_rows(community: Community) -> Iterator[dict[str, Any]]:
    users = get_user_model()
    fields = [model_field(users, name) for name in ("id", *USER_FIELDS)]
    for raw in (
        users._default_manager.filter(pk__in=_user_ids(community))
        .order_by("pk")
        .values_list(*[f.attname for f in fields])
    ):
        yield {f.name: values.encode(f, value) for f, value in zip(fields, raw, strict=True)}


def _write_table(out: TextIO, label: str, rows: Iterator[dict[str, Any]], *, last: bool) -> int:
    out.write(f"{json.dumps(label)}: [")
    count = 0
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(_dumps(row))
        count += 1
    out.write("\n]" if count else "]")
    out.write("\n" if last else ",\n")
    return count


def export_refusal(community: Community) -> str:
    """Why ``community`` is not exported on its own ("" when it is): a game day's sandbox is a
    rehearsal's scratch copy, left out of every file (``operations.sandboxes``)."""
    if apps.get_model("gamedays.gameday")._default_manager.filter(sandbox=community).exists():
        return (
            f"{community.slug!r} is a game day's sandbox, a rehearsal's scratch copy: export "
            "the community it rehearses (the game day's record and report are in that file)."
        )
    return ""


def export_community(*, community: Community, out: TextIO) -> ExportSummary:
    """Write ``community`` to ``out``; returns how many rows each table had (also written at
    the end of the file, so an import can tell a file that lost rows)."""
    if refusal := export_refusal(community):
        raise ExportRefused(refusal)
    summary = ExportSummary(slug=community.slug)
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        out.write(
            "{"
            f'"format": {json.dumps(FORMAT)}, "format_version": {FORMAT_VERSION}, '
            f'"community": {json.dumps(community.slug)},\n"tables": {{\n'
        )
        summary.counts[USERS] = _write_table(out, USERS, user_rows(community), last=False)
        for i, table in enumerate(TABLES):
            rows = table_rows(table, community)
            last = i == len(TABLES) - 1
            summary.counts[table.label] = _write_table(out, table.label, rows, last=last)
        out.write(f'}},\n"counts": {_dumps(summary.counts)}}}\n')
    return summary
