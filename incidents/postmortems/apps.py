"""The postmortems package's app config: its own models and migrations (label ``postmortems``),
wired into ``incidents`` through its hooks so that ``incidents`` never imports the package."""

from __future__ import annotations

from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "incidents.postmortems"
    label = "postmortems"
    verbose_name = "Restorative postmortems"

    def ready(self) -> None:
        # tasks registers the tasks, which beat and community.jobs name
        from community.attention import register_source
        from community.domain_events import subscribe
        from community.metrics import register_collector
        from incidents.hooks import register_close_guard, register_room_link
        from incidents.postmortems import hooks, needs_you, prometheus, services, tasks  # noqa: F401

        register_source(needs_you.PostmortemsDue())
        register_collector("postmortems", prometheus.PostmortemCollector())
        register_close_guard("postmortems.published", hooks.requires_published_postmortem)
        register_room_link("postmortems.link", hooks.postmortem_link)
        subscribe("postmortems.incident_resolved", services.on_incident_resolved)
