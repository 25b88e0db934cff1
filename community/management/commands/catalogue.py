from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from community import catalogue


class Command(BaseCommand):
    help = (
        "Check the translation catalogues against the marked strings (--check, the default) "
        "or bring them up to date (--update; new strings arrive untranslated)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--update", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["update"]:
            catalogue.update()
        problems = []
        for language in catalogue.translated_languages():
            report = catalogue.check(language)
            if not report.clean:
                problems.append(f"The {language} catalogue:")
                problems.extend(report.lines())
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("Every marked string is translated in every catalogue.")
