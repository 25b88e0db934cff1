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
        )

        metrics.register()
        contract_metrics.register()
        demo.register()
