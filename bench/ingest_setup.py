"""Run by bench_ingest in a subprocess against its own database: migrate-ready data for the run.
Prints one JSON line: the webhook path, the secret, an API key and the ids the bare bulk uses."""

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


def main() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_row (id bigserial PRIMARY KEY, body jsonb NOT NULL)")
    community = Community.objects.create(slug="bench", name="Bench")
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


if __name__ == "__main__":
    main()
