from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from demo import context
from demo.build import build


class Command(BaseCommand):
    help = "Build the demo community (slug `demo`). Running it again changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        community = build(log=self.stdout.write)
        self.stdout.write(
            f"Demo community ready at /c/{community.slug}/ — log in as "
            f"{context.MODERATOR_USERNAME} or {context.MEMBER_USERNAME} "
            f"with password {context.DEMO_PASSWORD}"
        )
