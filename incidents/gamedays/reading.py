"""The read model of a game day's page (and its htmx progress region): its figures and the
rehearsal's incidents, all read from the sandbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from community.access import CommunityAccess
from incidents.gamedays import services
from incidents.gamedays.models import GameDay
from incidents.models import Incident


def game_day_page(access: CommunityAccess, game_day: GameDay) -> dict[str, Any]:
    running = game_day.is_running
    return {
        "community": access.community,
        "access": access,
        "game_day": game_day,
        "sandbox_incidents": Incident.objects.filter(
            community_id=game_day.sandbox_id or 0
        ).order_by("declared_at"),
        "report": services.compute_report(game_day) if running else game_day.report,
        "expected_minutes": services.expected_minutes(game_day),
        "retention_days": settings.GAMEDAY_SANDBOX_RETENTION_DAYS,
    }
