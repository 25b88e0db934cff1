from __future__ import annotations

from django.apps import AppConfig


class CircleConfig(AppConfig):
    name = "incidents.postmortems.circle"
    label = "circle"
    verbose_name = "Restorative circles"

    def ready(self) -> None:
        from incidents.postmortems.circle import tasks  # noqa: F401 - registers the tasks
