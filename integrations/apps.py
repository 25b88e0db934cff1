from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations (Discourse, webhooks)"

    def ready(self) -> None:
        from community.attention import register_source
        from community.domain_events import subscribe
        from community.words import register_forum_base
        from integrations import attention, subscriber, tasks  # noqa: F401 - registers tasks

        subscribe("integrations", subscriber.on_domain_event)
        register_source(attention.FailedForumCalls())
        register_source(attention.DeliveriesSetAside())
        register_forum_base(attention.forum_base_url)
