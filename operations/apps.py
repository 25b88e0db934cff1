from __future__ import annotations

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Operator work across every app: export and import of a community, retention and the
    periodic purge. It imports every app; nothing imports it."""

    name = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from operations import checks, tasks  # noqa: F401  (registers the tasks and checks)
