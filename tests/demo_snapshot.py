"""The demo community for tests that need it committed (``transaction=True``: browser walks,
the live server, real workers), built once per test process and copied back for each test.

``build_demo`` is ``demo.build.build`` as those tests call it. On an empty database (the state
every ``transaction=True`` test starts from) its first call per process and language builds the
demo for real and keeps a copy of every table in a schema of the process's own test database
(``flush`` never truncates it); later calls truncate the tables and copy the rows back (about
a second instead of 20 to 25), then move every sequence past the copied ids. Each test still gets
its own demo: whatever a test changes is flushed after it, as before, and the next one starts
from the copy.

The demo is built relative to the clock, so a copy is only reused while it is younger than
``MAX_AGE_SECONDS``; after that the next test builds it afresh. A database that is not empty
(a test that made something first), a test inside a transaction, or one with a real worker
always gets the real build.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from community.models import Community
from config.celery import app as celery_app
from demo.build import build as real_build
from demo.context import DEMO_SLUG

# A browser walk on a loaded 2-core machine already runs this long after its own build.
MAX_AGE_SECONDS = 300.0

_SEQUENCES = """
SELECT s.relname, t.relname, a.attname
FROM pg_class s
JOIN pg_namespace n ON n.oid = s.relnamespace AND n.nspname = 'public'
JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE s.relkind = 'S'
"""


@dataclass(frozen=True)
class _Copy:
    schema: str
    built_at: float


_copies: dict[str, _Copy] = {}


def _tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'django_migrations' ORDER BY tablename"
        )
        return [row[0] for row in cursor.fetchall()]


def _is_empty() -> bool:
    return not Community.objects.exists() and not get_user_model().objects.exists()


def _keep(schema: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        cursor.execute(f'CREATE SCHEMA "{schema}"')
        for table in _tables():
            cursor.execute(f'CREATE TABLE "{schema}"."{table}" AS TABLE public."{table}"')


def _restore(schema: str) -> None:
    tables = _tables()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'public."{t}"' for t in tables) + " CASCADE")
        for table in tables:
            cursor.execute(
                f'INSERT INTO public."{table}" SELECT * FROM "{schema}"."{table}"'  # noqa: S608 - names from the catalogue
            )
        cursor.execute(_SEQUENCES)
        for sequence, table, column in cursor.fetchall():
            cursor.execute(
                f"SELECT setval('public.\"{sequence}\"', GREATEST("  # noqa: S608 - names from the catalogue
                f'(SELECT last_value FROM public."{sequence}"), '
                f'(SELECT COALESCE(MAX("{column}"), 1) FROM public."{table}")))'
            )
    # The content types came back with the copy's ids; forget the ones the flush made.
    ContentType.objects.clear_cache()


def build_demo(log: Callable[[str], None], *, language: str = "en") -> Community:
    """The demo community, as ``demo.build.build(log, language=language)`` leaves it."""
    copyable = (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        # Under a real worker the build's tasks finish after it returns, outside the copy.
        and celery_app.conf.task_always_eager
        and _is_empty()
    )
    if not copyable:
        return real_build(log, language=language)
    kept = _copies.get(language)
    if kept is not None and time.monotonic() - kept.built_at < MAX_AGE_SECONDS:
        _restore(kept.schema)
        return Community.objects.get(slug=DEMO_SLUG)
    built_at = time.monotonic()
    community = real_build(log, language=language)
    schema = f"test_demo_copy_{language}"
    _keep(schema)
    _copies[language] = _Copy(schema, built_at)
    return community
