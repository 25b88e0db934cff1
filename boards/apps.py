from __future__ import annotations

from django.apps import AppConfig


class BoardsConfig(AppConfig):
    """The moderators' boards (flow health, change safety, fairness) and the operations view of
    the same numbers (Prometheus rules, a Grafana dashboard, the app's alert state on /metrics).
    Like ``operations`` it reads every app and nothing imports it."""

    name = "boards"
    label = "boards"
    verbose_name = "Boards"

    def ready(self) -> None:
        # metrics registers the alert-state collector; tasks registers the tasks, which
        # services (and the demo) ask for by name.
        from boards import metrics, tasks  # noqa: F401
