from __future__ import annotations

from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Community (spine)"

    def ready(self) -> None:
        from community import (  # noqa: F401 - schema and slo_service register themselves
            contract_metrics,
            demo,
            demo_contract,
            metrics,
            schema,
            slo_service,
            tasks,  # registers the tasks, which community.jobs enqueues by name
        )

        metrics.register()
        contract_metrics.register()
        demo.register()
