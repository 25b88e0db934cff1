from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations (Discourse, webhooks)"

    def ready(self) -> None:
        from community.domain_events import subscribe
        from integrations import subscriber, tasks  # noqa: F401 - registers tasks

        subscribe("integrations", subscriber.on_domain_event)
