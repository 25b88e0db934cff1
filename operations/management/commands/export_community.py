from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from community.models import Community
from operations.exporter import export_community, export_refusal
from operations.tables import RE_ENTER


class Command(BaseCommand):
    help = (
        "Write all of one community's data, across every app, as one JSON document (to "
        "--output, or standard output). Secrets, API keys and password hashes are left out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", required=True, metavar="SLUG")
        parser.add_argument("--output", metavar="FILE", help="default: standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(f"No community with the slug {options['community']!r}.")
        if refusal := export_refusal(community):
            raise CommandError(refusal)
        self._export(community, options["output"])

    def _export(self, community: Community, output: str | None) -> None:
        if output is None:
            # The document goes to the real stream: OutputWrapper.write would add newlines.
            stream = cast(TextIO, self.stdout._out)
            summary = export_community(community=community, out=stream)
            report = sys.stderr
        else:
            path = Path(output)
            partial = path.with_name(f"{path.name}.partial")
            try:
                with partial.open("w", encoding="utf-8") as out:
                    summary = export_community(community=community, out=out)
                partial.replace(path)  # a file at FILE is always a whole export
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror}.") from None
            report = self.stdout
        rows = sum(summary.counts.values())
        report.write(f"Exported {community.slug}: {rows} rows in {len(summary.counts)} tables.\n")
        report.write("Not in the file (enter again after an import):\n")
        for line in RE_ENTER:
            report.write(f"  - {line}\n")
