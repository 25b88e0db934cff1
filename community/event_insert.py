"""Storing a batch of conduct events with as little as possible inside the community lock.

``ingest_events`` holds the community's row lock (docs/architecture.md "Locks") while it decides
what is new and stores it, so concurrent batches of one community take turns. Everything that
does not need the lock is done before taking it: the model instances and, on PostgreSQL, the
column arrays of one ``INSERT .. SELECT FROM unnest(..)`` statement. Under the lock remain the
duplicate check, the member and space ids, that one statement, and the signal.

Only column names and casts from the model's own fields are written into the SQL text; every
value is a parameter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

from community.models import ConductEvent

_LATE = ("member_id", "space_id")  # known only under the lock


class PreparedEvents:
    """Unsaved ConductEvent rows and, on PostgreSQL, their columns ready for one statement."""

    def __init__(self, rows: Sequence[ConductEvent]) -> None:
        self.rows = list(rows)
        self.fields = [
            f
            for f in ConductEvent._meta.concrete_fields
            if not f.primary_key and f.attname not in _LATE
        ]
        self.columns: dict[str, list[Any]] = {}
        if connection.vendor == "postgresql":
            for f in self.fields:
                values = [getattr(row, f.attname) for row in self.rows]
                if isinstance(f, models.JSONField):
                    values = [json.dumps(v, cls=f.encoder) for v in values]
                self.columns[f.attname] = values

    def insert(self, keep: Sequence[int]) -> list[ConductEvent]:
        """Insert the rows at the positions ``keep`` (their member and space set by now);
        returns them saved, with their primary keys."""
        rows = [self.rows[i] for i in keep]
        if not rows:
            return []
        if connection.vendor != "postgresql":
            return ConductEvent.objects.bulk_create(rows, batch_size=1000)
        late = [f for f in ConductEvent._meta.concrete_fields if f.attname in _LATE]
        fields = [*self.fields, *late]
        arrays = [[self.columns[f.attname][i] for i in keep] for f in self.fields]
        arrays += [[getattr(row, f.attname) for row in rows] for f in late]
        names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        casts = ", ".join(f"%s::{_array_type(f)}" for f in fields)
        table = connection.ops.quote_name(ConductEvent._meta.db_table)
        sql = (
            f"INSERT INTO {table} ({names}) "  # noqa: S608 - names from the model, values bound
            f"SELECT * FROM unnest({casts}) RETURNING {connection.ops.quote_name('id')}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, arrays)
            ids = [r[0] for r in cursor.fetchall()]
        # PostgreSQL returns the rows of INSERT .. SELECT in the order it inserted them, the
        # order of unnest (Django's own bulk_create relies on the same).
        for row, pk in zip(rows, ids, strict=True):
            row.pk = pk
            row._state.adding = False
            row._state.db = connection.alias
        return rows


def _array_type(field: models.Field[Any, Any]) -> str:
    if isinstance(field, models.JSONField):
        return "jsonb[]"
    if isinstance(field, models.ForeignKey):
        return f"{field.target_field.rel_db_type(connection)}[]"
    return f"{field.db_type(connection)}[]"
