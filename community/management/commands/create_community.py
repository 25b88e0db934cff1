from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_slug

from community.models import Visibility
from community.services import ServiceError, create_community


class Command(BaseCommand):
    help = "Create a community, optionally with an existing user as its first moderator (admin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--moderator", help="username of an existing user")
        parser.add_argument("--visibility", choices=Visibility.values, default=Visibility.PUBLIC)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            validate_slug(options["slug"])
        except ValidationError:
            raise CommandError(
                "--slug may use only letters, numbers, hyphens and underscores."
            ) from None
        moderator = None
        if options["moderator"]:
            moderator = get_user_model().objects.filter(username=options["moderator"]).first()
            if moderator is None:
                raise CommandError(f"No user named {options['moderator']!r}.")
        try:
            community = create_community(
                slug=options["slug"],
                name=options["name"],
                visibility=options["visibility"],
                moderator=moderator,
            )
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Created community {community.slug} ({community.name}).")
