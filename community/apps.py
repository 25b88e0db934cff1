from __future__ import annotations

from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Community (spine)"

    def ready(self) -> None:
        from community import (  # noqa: F401 - schema registers its extension
            language,
            metrics,
            schema,
            tasks,  # registers the tasks, which community.jobs enqueues by name
        )

        metrics.register()
        language.connect()
