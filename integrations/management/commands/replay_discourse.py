from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from community.models import Community
from community.services import ServiceError
from integrations.discourse.replay import parse_replay_line, replay_delivery
from integrations.models import DiscourseConnection


class Command(BaseCommand):
    help = (
        'Feed a JSON-lines file of recorded Discourse deliveries ({"headers": {...}, '
        '"body": ..., "recorded_at": ISO} per line, recorded_at optional) through the webhook '
        "pipeline, for backfills, for importing a community's past (recorded_at: when the "
        "community learned of it; such history is replayable and pages no one now) and for "
        "testing a community's setup. Lines are checked first; a bad line stops the run before "
        "anything is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to a .jsonl file")
        parser.add_argument(
            "--community", help="community slug (needed when several are connected)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = self._connection(options.get("community"))
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        lines = []
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            if not text.strip():
                continue
            try:
                lines.append(parse_replay_line(text, secret=connection.webhook_secret))
            except (ValueError, TypeError, ServiceError) as exc:
                raise CommandError(f"{path}:{number}: {exc}") from None
        stored = duplicates = rejected = 0
        for line in lines:
            result = replay_delivery(connection=connection, line=line)
            if result.duplicate:
                duplicates += 1
            elif result.delivery is not None:
                stored += 1
            else:
                rejected += 1
                self.stderr.write(f"rejected: {result.message}")
        self.stdout.write(
            json.dumps({"stored": stored, "duplicates": duplicates, "rejected": rejected})
        )

    def _connection(self, slug: str | None) -> DiscourseConnection:
        connections = DiscourseConnection.objects.select_related("community")
        if slug:
            if not Community.objects.filter(slug=slug).exists():
                raise CommandError(f"No community with slug {slug!r}.")
            connection = connections.filter(community__slug=slug).first()
            if connection is None:
                raise CommandError(f"{slug} has no Discourse connection: run connect_discourse.")
            return connection
        found = list(connections[:2])
        if len(found) != 1:
            raise CommandError("Say which community with --community SLUG.")
        return found[0]
