from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from community.models import Community
from demo.context import DEMO_SLUG
from demo.pages import measure_all


class Command(BaseCommand):
    help = (
        "Print how many database queries each main page of the demo costs (run seed_demo "
        "first). Each page's ceiling is the most a test allows it."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        community = Community.objects.filter(slug=DEMO_SLUG).first()
        if community is None:
            raise CommandError("There is no demo community yet: run `manage.py seed_demo` first.")
        results = measure_all(community)
        width = max(len(r.page.label) for r in results)
        for r in results:
            flag = "" if r.status == 200 else f"  (answered {r.status})"
            self.stdout.write(
                f"{r.page.label:<{width}}  {r.queries:>3} queries (ceiling {r.page.ceiling}){flag}"
            )
