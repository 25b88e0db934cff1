from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from demo import context
from demo.build import build


class Command(BaseCommand):
    help = "Build the demo community (slug `demo`). Running it again changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="The community's default language (its members' pages and notices).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        community = build(log=self.stdout.write, language=options["language"])
        self.stdout.write(
            f"Demo community ready at /c/{community.slug}/ — log in as "
            f"{context.MODERATOR_USERNAME} or {context.MEMBER_USERNAME} "
            f"with password {context.DEMO_PASSWORD}"
        )
