"""The game days package's app config (label ``gamedays``): its own models and migrations,
wired in through registries so that nothing else imports it."""

from __future__ import annotations

from django.apps import AppConfig


class GameDaysConfig(AppConfig):
    name = "incidents.gamedays"
    label = "gamedays"
    verbose_name = "Game days (runbook rehearsals)"

    def ready(self) -> None:
        # tasks registers the tasks, which beat and community.jobs name
        from community.domain_events import subscribe
        from community.hidden import NoticeMark, register_hidden_communities
        from incidents.gamedays import hooks, services, tasks  # noqa: F401
        from incidents.hooks import register_room_link

        register_hidden_communities(
            "gamedays.sandboxes",
            services.sandbox_ids,
            mark=NoticeMark(title=hooks.NOTICE_TITLE, body=hooks.NOTICE_BODY),
        )
        register_room_link("gamedays.rehearsal", hooks.rehearsal_banner)
        subscribe("gamedays.real_incident", services.on_incident_declared)
