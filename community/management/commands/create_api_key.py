from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from community.models import Community
from community.services import ServiceError, create_api_key


class Command(BaseCommand):
    help = (
        "Create an API key for a community. The key is printed once, alone on the last line; "
        "only its hash is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", required=True, help="community slug")
        parser.add_argument(
            "--scopes", required=True, help="comma-separated: read, events:write, moderate"
        )
        parser.add_argument("--name", default="command line")

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(f"No community with slug {options['community']!r}.")
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        try:
            key, full = create_api_key(
                community=community, name=options["name"], scopes=scopes, by=None
            )
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(
            f"Created key {key.name!r} with scopes {', '.join(key.scopes)}. Copy it now:"
        )
        self.stdout.write(full)
