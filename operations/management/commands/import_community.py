from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operations.importer import ImportFailed, import_community
from operations.tables import RE_ENTER


class Command(BaseCommand):
    help = (
        "Restore a file written by export_community as a new community (its own slug, or "
        "--slug NEW), in one transaction: on any error nothing is written. Then every budget is "
        "recalculated from the restored ledger and checked against the restored one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--slug", metavar="NEW", help="import under this slug instead")
        parser.add_argument(
            "--accept-budget-differences",
            action="store_true",
            help="import even if the restored ledger gives other budgets than the file's",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with open(options["file"], encoding="utf-8") as source:
                summary = import_community(
                    source=source,
                    slug=options["slug"],
                    accept_budget_differences=options["accept_budget_differences"],
                )
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}.") from None
        except ImportFailed as exc:
            raise CommandError(f"Nothing was imported. {exc}") from None
        community = summary.community
        rows = sum(summary.counts.values())
        self.stdout.write(f"Imported {community.slug} ({community.name}): {rows} rows.")
        if summary.budgets is not None:
            check = summary.budgets
            self.stdout.write(
                f"Budgets: {check.checked} recalculated from the restored ledger and checked"
                + (f", {check.owed} owed a recalculation (next run)" if check.owed else "")
                + (f"; {len(check.differences)} differences accepted" if check.differences else "")
                + "."
            )
        if summary.logins_created:
            self.stdout.write(
                f"{len(summary.logins_created)} login(s) created without a password "
                "(passwords are never exported): each must reset it with “Forgot your password?” "
                "or an admin sets one (manage.py changepassword USERNAME)."
            )
        if summary.logins_matched:
            self.stdout.write(
                f"{len(summary.logins_matched)} login(s) already here were linked by username."
            )
        self.stdout.write("Enter again (not in the file):")
        for line in RE_ENTER:
            self.stdout.write(f"  - {line}")
