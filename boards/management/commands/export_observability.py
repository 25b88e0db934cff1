"""``manage.py export_observability --community SLUG [--out DIR]``: write the community's
Prometheus alert rules (``SLUG-alerts.yml``) and Grafana dashboard (``SLUG-dashboard.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from boards.exports import clause_specs
from boards.observability import alert_rules, dashboard
from community.models import Community


class Command(BaseCommand):
    help = "Write Prometheus alert rules and a Grafana dashboard from a community's clauses."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", required=True, help="The community's slug.")
        parser.add_argument("--out", default=".", help="The folder to write to (default: here).")

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=options["community"]).first()
        if community is None:
            raise CommandError(f"There is no community {options['community']!r}.")
        out = Path(options["out"])
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} is not a folder.")
        out.mkdir(parents=True, exist_ok=True)
        specs = clause_specs(community=community)
        rules_path = out / f"{community.slug}-alerts.yml"
        rules_path.write_text(
            yaml.safe_dump(alert_rules(community.slug, specs), sort_keys=False, allow_unicode=True)
        )
        dashboard_path = out / f"{community.slug}-dashboard.json"
        dashboard_path.write_text(
            json.dumps(dashboard(community.slug, community.name, specs), indent=2) + "\n"
        )
        self.stdout.write(
            f"Wrote {rules_path} and {dashboard_path} ({len(specs)} published clause"
            f"{'s' if len(specs) != 1 else ''})."
        )
