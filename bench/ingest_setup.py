"""Run by bench_ingest in a subprocess against its database: the data for the run.
``BENCH_INGEST_SETUP=create`` prints one JSON line (the webhook path, the secret, an API key and
the ids the bare bulk uses); ``drop`` removes the bare baseline's table again (when the bench ran
on a database it did not make)."""

from __future__ import annotations

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.ingest_settings")
django.setup()

from django.db import connection  # noqa: E402

from community.models import Community, Space  # noqa: E402
from community.services import create_api_key, upsert_identities  # noqa: E402
from integrations.discourse.connection import connect_discourse, webhook_path  # noqa: E402

SECRET = "bench-webhook-secret-1"  # noqa: S105 - a throwaway bench database
SLUG = "bench-ingest"


def create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_row (id bigserial PRIMARY KEY, body jsonb NOT NULL)"
        )
    Community.objects.filter(slug=SLUG).delete()
    community = Community.objects.create(slug=SLUG, name="Bench")
    conn = connect_discourse(
        community=community, base_url="https://forum.bench.invalid", secret=SECRET
    )
    _, key = create_api_key(community=community, name="bench", scopes=["events:write"], by=None)
    member = upsert_identities(community=community, source="api", identities={"1": "bench"})["1"]
    space = Space.objects.create(community=community, name="Bench", source="api", external_id="1")
    print(
        json.dumps(
            {
                "webhook_path": webhook_path(conn),
                "instance": conn.base_url,
                "secret": SECRET,
                "api_key": key,
                "community_id": community.pk,
                "member_id": member.pk,
                "space_id": space.pk,
            }
        )
    )


def drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_row")


if __name__ == "__main__":
    {"create": create, "drop": drop}[os.environ.get("BENCH_INGEST_SETUP", "create")]()
