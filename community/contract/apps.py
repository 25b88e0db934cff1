"""The contract's own app config: how the package wires itself in without the spine knowing.

``community``'s ``AppConfig`` may not import this package, so the package is installed as a
second app (``"community.contract"`` in ``INSTALLED_APPS``, label ``contract``). It has no
models (those stay in the ``community`` app, with its label and tables), so it adds no
migrations; Django gives it what every app gets: ``ready``, admin autodiscovery and a place in
the app registry.
"""

from __future__ import annotations

from django.apps import AppConfig


class ContractConfig(AppConfig):
    name = "community.contract"
    label = "contract"
    verbose_name = "Social contract"

    def ready(self) -> None:
        # tasks registers the tasks, which community.jobs enqueues by name
        from community.contract import metrics, scheduling, tasks  # noqa: F401
        from community.domain_events import conduct_events_recorded

        conduct_events_recorded.connect(
            scheduling.on_events_recorded, dispatch_uid="community.clause_evaluation"
        )
        metrics.register()
