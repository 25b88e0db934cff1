from __future__ import annotations

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        from community.attention import register_home_section
        from community.domain_events import subscribe
        from incidents import home, metrics, services, tasks  # noqa: F401 - registers tasks

        subscribe("incidents.clause_alert", services.handle_clause_alert)
        subscribe("incidents.forum_attempt", services.record_forum_attempt)
        metrics.register()
        register_home_section(home.home_section)
