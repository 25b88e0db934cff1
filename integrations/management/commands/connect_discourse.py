from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from community.models import Community
from community.services import ServiceError
from integrations.discourse.connection import connect_discourse, webhook_path


class Command(BaseCommand):
    help = (
        "Connect a community to its Discourse forum (or update the connection). Prints the "
        "webhook path to paste into Discourse alone on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", required=True, help="community slug")
        parser.add_argument("--base-url", required=True, help="e.g. https://forum.example.org")
        parser.add_argument("--secret", required=True, help="webhook secret, 12+ characters")
        parser.add_argument("--api-key", default="", help="Discourse API key for actions")
        parser.add_argument("--api-username", default="", help="the user the key acts as")

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(f"No community with slug {options['community']!r}.")
        try:
            connection = connect_discourse(
                community=community,
                base_url=options["base_url"],
                secret=options["secret"],
                api_key=options["api_key"],
                api_username=options["api_username"],
            )
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        path = webhook_path(connection)
        self.stderr.write(
            f"Connected {community.slug} to {connection.base_url}. In Discourse, set the webhook "
            f"Payload URL to {settings.SITE_URL}{path} with content type application/json:"
        )
        self.stdout.write(path)
