from __future__ import annotations

from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Community (spine)"

    def ready(self) -> None:
        from community import demo, metrics, schema  # noqa: F401 - schema registers itself

        metrics.register()
        demo.register()
