from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from budgets.models.snapshots import RecalcKind
from budgets.recalculation import recalculate_community
from community.models import Community


class Command(BaseCommand):
    help = (
        "Recalculate forgiveness budgets now (the worker does this on its own; this is for "
        "operators). Every community, or one with --community."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", help="the community's slug (default: all)")
        parser.add_argument(
            "--only-changed",
            action="store_true",
            help="only the members due: marked, or changed by themselves (the periodic run)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        communities = Community.objects.order_by("slug")
        if options["community"]:
            communities = communities.filter(slug=options["community"])
            if not communities.exists():
                raise CommandError(f"No community with the slug “{options['community']}”.")
        kind = RecalcKind.PERIODIC if options["only_changed"] else RecalcKind.FULL
        for community in communities:
            result = recalculate_community(community=community, kind=kind)
            self.stdout.write(
                f"{community.slug}: {result.members} members, {result.written} written, "
                f"{result.transitions} tier changes"
            )
