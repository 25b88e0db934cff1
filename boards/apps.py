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
        from boards import metrics  # noqa: F401  (registers the alert-state collector)
