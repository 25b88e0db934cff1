"""``import_community``: a file written by ``export_community`` back into the database, as a new
community (its own slug, or ``--slug``), in one transaction.

Every primary key is new and every reference follows (foreign keys, many-to-many links, ids in
JSON and text, see ``operations.remap``); a UUID key (a domain event, the Discourse connection,
whose id is the webhook address) is kept when no row has it yet, so a restore into an empty
database keeps the forum's webhook address. Logins are matched by username: a login that does
not exist is created with a password nobody knows, to be reset. Secrets are not in the file and
stay blank.

Nothing is announced: no domain event is recorded and no task is queued. Anything wrong (a
damaged file, another format version, a slug in use, a row the database refuses, budgets that
the restored ledger does not reproduce) raises ``ImportFailed`` and leaves the database as it
was.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import DatabaseError, models, transaction

from community.models import Community
from operations import sandboxes, values
from operations.budget_check import BudgetCheck, check_budgets
from operations.exporter import FORMAT, FORMAT_VERSION
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
    USER_FIELDS,
    USERS,
    Table,
    concrete_fields,
    many_to_many,
    model_field,
    through_model,
)

BATCH = 1_000

# Tables whose rows get fields the file does not hold (``Table.made_on_import``).
MADE_ON_IMPORT = {"gamedays.gameday": sandboxes.fill_game_day}


class ImportFailed(Exception):
    """The file cannot be imported; the message says what was wrong. Nothing was written."""


@dataclass
class ImportSummary:
    community: Community
    counts: dict[str, int] = field(default_factory=dict)
    logins_created: list[str] = field(default_factory=list)
    logins_matched: list[str] = field(default_factory=list)
    budgets: BudgetCheck | None = None


def read_document(source: TextIO) -> dict[str, Any]:
    """Parse and check the envelope: the format, its version, a list of rows per known table
    and the row counts the exporter wrote at the end."""
    try:
        doc = json.load(source)
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            f"The file is not complete JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "it may have been cut short."
        ) from None
    except UnicodeDecodeError:
        raise ImportFailed("The file is not UTF-8 text.") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportFailed(f'This is not a community export (no "format": "{FORMAT}").')
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise ImportFailed(
            f"The file is format version {version!r}; this version of the app reads only "
            f"format version {FORMAT_VERSION}."
        )
    tables, counts = doc.get("tables"), doc.get("counts")
    if not isinstance(tables, dict) or not isinstance(counts, dict):
        raise ImportFailed('The file has no "tables" or no "counts".')
    known = {USERS, *(t.label for t in TABLES)}
    if unknown := sorted(set(tables) - known):
        raise ImportFailed(f"The file has tables this version does not know: {unknown}.")
    for label in sorted(known):
        rows = tables.get(label)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ImportFailed(f"Table {label} is missing or is not a list of rows.")
        if counts.get(label) != len(rows):
            raise ImportFailed(
                f"Table {label} holds {len(rows)} rows but the export wrote "
                f"{counts.get(label)!r}: the file is damaged."
            )
    if len(tables[COMMUNITY]) != 1:
        raise ImportFailed("The file must hold exactly one community.")
    return doc


def _import_users(rows: list[dict[str, Any]], ids: IdMap, summary: ImportSummary) -> None:
    users = get_user_model()
    fields = {name: model_field(users, name) for name in USER_FIELDS}
    # A random password nobody knows, hashed once for all: usable, so that the password-reset
    # email (which skips logins without a usable password) lets each person choose their own.
    unknown_password = make_password(secrets.token_urlsafe(32))
    new = []
    for row in rows:
        username = row.get("username")
        if not isinstance(username, str) or not username:
            raise ImportFailed(f"{USERS} row {row.get('id')!r}: no username.")
        existing = users._default_manager.filter(username=username).first()
        if existing is not None:
            ids.add(USERS, row.get("id"), existing.pk)
            summary.logins_matched.append(username)
            continue
        user = users(**{f.attname: _value(USERS, row, f) for f in fields.values() if f.name in row})
        user.password = unknown_password
        new.append((row.get("id"), user))
        summary.logins_created.append(username)
    users._default_manager.bulk_create([user for _, user in new])
    for old, user in new:
        ids.add(USERS, old, user.pk)


def _value(label: str, row: dict[str, Any], f: models.Field[Any, Any]) -> Any:
    try:
        return values.decode(f, row[f.name])
    except values.BadValue as exc:
        raise ImportFailed(f"{label} row {row.get('id')!r}, field {f.name}: {exc}.") from None


def _choose_uuids(tables: dict[str, list[dict[str, Any]]], ids: IdMap) -> None:
    """The new keys of every table with UUID keys, before anything is written: rows of earlier
    tables name domain events (dedupe keys, alert keys) that are inserted later."""
    for table in TABLES:
        if isinstance(table.model._meta.pk, models.UUIDField):
            for old, new in _new_uuids(table.model, tables[table.label]).items():
                ids.add(table.label, old, new)


def _new_uuids(model: type[models.Model], rows: list[dict[str, Any]]) -> dict[str, uuid.UUID]:
    """Each row's UUID key: kept when no row has it yet, else a new one."""
    wanted = [str(r.get("id")) for r in rows]
    for old in wanted:
        try:
            uuid.UUID(old)
        except ValueError:
            raise ImportFailed(f"{model._meta.label_lower} row {old!r}: not a UUID.") from None
    taken: set[str] = set()
    for start in range(0, len(wanted), BATCH):
        found = model._default_manager.filter(pk__in=wanted[start : start + BATCH])
        taken.update(str(pk) for pk in found.values_list("pk", flat=True))
    return {old: uuid.uuid4() if old in taken else uuid.UUID(old) for old in wanted}


def _foreign(table: Table, row: dict[str, Any], f: models.Field[Any, Any], ids: IdMap) -> Any:
    value = row[f.name]
    if value is None:
        if not f.null:
            raise ImportFailed(f"{table.label} row {row.get('id')!r}: {f.name} is empty.")
        return None
    assert f.related_model is not None and not isinstance(f.related_model, str)
    target = f.related_model._meta.label_lower
    new = ids.get(target, value)
    if new is None:
        raise ImportFailed(
            f"{table.label} row {row.get('id')!r}: {f.name} names {target} {value!r}, "
            "which is not in the file."
        )
    return new


def _field_value(
    table: Table, row: dict[str, Any], f: models.Field[Any, Any], ids: IdMap, slug: str
) -> Any:
    if f.is_relation:
        return _foreign(table, row, f, ids)
    value = _value(table.label, row, f)
    if f.name in table.id_lists:
        try:
            return remap_id_list(value, table.id_lists[f.name], ids)
        except ValueError as exc:
            raise ImportFailed(f"{table.label} row {row.get('id')!r}, {f.name} {exc}.") from None
    if f.name in table.text_ids:
        return remap_text_id(value, table.text_ids[f.name], ids)
    if f.name in DOMAIN_EVENT_REFERENCES.get(table.label, ()):
        if value in (None, ""):
            return value
        new = ids.event_id(value)
        return new if isinstance(f, models.UUIDField) else str(new)
    if table.label == "incidents.timelineentry" and f.name == "dedupe_key":
        return remap_dedupe_key(value, ids)
    if table.label == "incidents.timelineentry" and f.name == "data":
        return remap_json(value, ids, keys=TIMELINE_DATA_KEYS.get(str(row.get("kind")), {}))
    if table.label == "replay.replay" and f.name == "results":
        return remap_replay_results(value, ids)
    if table.label == "community.notification" and f.name == "link":
        return remap_link(value, slug, ids)
    if f.name in table.json_fields:
        return remap_json(value, ids)
    return value


def _import_table(table: Table, rows: list[dict[str, Any]], ids: IdMap, slug: str) -> None:
    model = table.model
    fields = concrete_fields(model)
    links = many_to_many(model)
    pk = model._meta.pk
    assert pk is not None
    allowed = {f.name for f in fields} | {m.name for m in links}
    uuid_pk = isinstance(pk, models.UUIDField)
    self_refs = [f for f in fields if f.is_relation and f.related_model is model]
    objects, deferred = [], []
    for row in rows:
        if unknown := sorted(set(row) - allowed):
            raise ImportFailed(f"{table.label} row {row.get('id')!r}: unknown fields {unknown}.")
        kwargs: dict[str, Any] = {}
        for f in fields:
            if f.name in table.secrets:
                kwargs[f.attname] = ""
            elif f.name in table.made_on_import:
                continue
            elif f is pk and not f.is_relation:
                if uuid_pk:  # chosen before any table was written (see _choose_uuids)
                    kwargs[f.attname] = ids.get(table.label, row.get(f.name))
            elif f.name not in row:
                if not (f.has_default() or f.null):
                    raise ImportFailed(f"{table.label} row {row.get('id')!r}: no {f.name}.")
            elif f in self_refs:
                continue
            else:
                kwargs[f.attname] = _field_value(table, row, f, ids, slug)
        if table.label == COMMUNITY:
            kwargs["slug"] = slug
        if table.made_on_import:
            MADE_ON_IMPORT[table.label](kwargs, slug=slug)
        objects.append(model(**kwargs))
        deferred.append(row)
    model._default_manager.bulk_create(objects, batch_size=BATCH)
    if not uuid_pk:
        for obj, row in zip(objects, deferred, strict=True):
            ids.add(table.label, row[pk.name], obj.pk)
    if self_refs:
        for f in self_refs:
            for obj, row in zip(objects, deferred, strict=True):
                setattr(obj, f.attname, _foreign(table, row, f, ids))
        model._default_manager.bulk_update(objects, [f.name for f in self_refs], batch_size=BATCH)
    for m2m in links:
        through = through_model(m2m)
        source, target = f"{m2m.m2m_field_name()}_id", f"{m2m.m2m_reverse_field_name()}_id"
        assert m2m.related_model is not None and not isinstance(m2m.related_model, str)
        target_label = m2m.related_model._meta.label_lower
        pairs = []
        for obj, row in zip(objects, deferred, strict=True):
            for old in row.get(m2m.name) or []:
                new = ids.get(target_label, old)
                if new is None:
                    raise ImportFailed(
                        f"{table.label} row {row.get('id')!r}: {m2m.name} names "
                        f"{target_label} {old!r}, which is not in the file."
                    )
                pairs.append(through(**{source: obj.pk, target: new}))
        through._default_manager.bulk_create(pairs, batch_size=BATCH)


def import_community(
    *, source: TextIO, slug: str | None = None, accept_budget_differences: bool = False
) -> ImportSummary:
    """Import the export in ``source`` (see the module docstring); raises ``ImportFailed``."""
    doc = read_document(source)
    tables: dict[str, list[dict[str, Any]]] = doc["tables"]
    slug = slug or str(tables[COMMUNITY][0].get("slug") or "")
    try:
        validate_slug(slug)
    except ValidationError:
        raise ImportFailed(f"{slug!r} is not a valid slug.") from None
    if Community.objects.filter(slug=slug).exists():
        raise ImportFailed(
            f"A community with the slug {slug!r} already exists; import under a new one "
            "(--slug NEW). An import never overwrites a community."
        )
    ids = IdMap()
    with transaction.atomic():
        summary = ImportSummary(community=Community())
        _import_users(tables[USERS], ids, summary)
        _choose_uuids(tables, ids)
        summary.counts[USERS] = len(tables[USERS])
        for table in TABLES:
            try:
                with transaction.atomic():
                    _import_table(table, tables[table.label], ids, slug)
            except DatabaseError as exc:
                first = (str(exc).strip().splitlines() or [repr(exc)])[0]
                raise ImportFailed(
                    f"The database refused the rows of {table.label}: {first}"
                ) from None
            summary.counts[table.label] = len(tables[table.label])
        summary.community = Community.objects.get(slug=slug)
        summary.budgets = check_budgets(community=summary.community)
        if summary.budgets.differences and not accept_budget_differences:
            raise ImportFailed(summary.budgets.describe_failure())
    return summary
