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
        # The incidents side of a replay (the replay package is part of the spine's contract).
        from community.contract.replay.hooks import IncidentReplayer, register_incident_replayer
        from incidents import replay

        register_incident_replayer(
            "incidents.replay",
            IncidentReplayer(
                runbook_name=replay.runbook_name,
                runbooks=replay.runbooks,
                replay=replay.replay_incidents,
            ),
        )
