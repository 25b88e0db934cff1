from __future__ import annotations

from django.apps import AppConfig


class ReplayConfig(AppConfig):
    name = "community.contract.replay"
    label = "replay"
    verbose_name = "Replays of rule changes"

    def ready(self) -> None:
        from community.contract.replay import tasks  # noqa: F401 - registers the task
