from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from community import demo


class Command(BaseCommand):
    help = "Build the demo community (slug `demo`). Running it again changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        community = demo.build(log=self.stdout.write)
        self.stdout.write(
            f"Demo community ready at /c/{community.slug}/ — log in as "
            f"{demo.MODERATOR_USERNAME} or {demo.MEMBER_USERNAME} "
            f"with password {demo.DEMO_PASSWORD}"
        )
