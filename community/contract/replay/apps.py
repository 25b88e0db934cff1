from __future__ import annotations

from django.apps import AppConfig


class ReplayConfig(AppConfig):
    name = "community.contract.replay"
    label = "replay"
    verbose_name = "Replays of rule changes"

    def ready(self) -> None:
        from community.contract import hooks
        from community.contract.replay import imported, tasks  # noqa: F401 - registers the task
        from community.domain_events import conduct_events_recorded

        conduct_events_recorded.connect(
            imported.on_events_recorded, dispatch_uid="replay.imported_history"
        )
        hooks.register_alert_window_filter("replay.imported_history", imported.live_window_filter)
        hooks.register_imported_history("replay.imported_history", imported.imported_rows)
