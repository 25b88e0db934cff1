"""REST API of game days: list, start (with the page's refusals), progress, finish and the
report. Every query is filtered by the key's community (``access.py``); refusals are JSON
through ``community.api_errors`` (a service's refusal is a 400 naming why)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.access import CommunityAccess, get_space
from community.api_auth import access_of
from community.serializers import ErrorSerializer
from community.services import ServiceError
from incidents.access import get_runbook
from incidents.gamedays import recordings, services
from incidents.gamedays.access import get_game_day, visible_game_days
from incidents.gamedays.models import GameDay
from incidents.gamedays.serializers import (
    GameDayReportSerializer,
    GameDaySerializer,
    GameDayStartSerializer,
    RecordingSerializer,
)

TAGS = ["game days"]
REFUSALS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


def report_json(game_day: GameDay) -> dict[str, Any]:
    report = services.compute_report(game_day) if game_day.is_running else game_day.report
    return {
        "incident_declared": bool(report.get("incident_declared")),
        "minutes_to_facilitator": report.get("minutes_to_facilitator"),
        "minutes_to_cooldown": report.get("minutes_to_cooldown"),
        "steps_done": int(report.get("steps_done") or 0),
        "steps_skipped": list(report.get("steps_skipped") or []),
        "steps_late": list(report.get("steps_late") or []),
        "steps_not_done": list(report.get("steps_not_done") or []),
        "events_sent": int(report.get("events_sent", game_day.emitted)),
        "final": not game_day.is_running,
    }


def game_day_json(game_day: GameDay) -> dict[str, Any]:
    total = game_day.total_events
    return {
        "id": game_day.pk,
        "status": game_day.status,
        "status_words": game_day.get_status_display(),
        "runbook": game_day.runbook_name,
        "recording_kind": game_day.recording_kind,
        "recording_title": game_day.recording_title,
        "speed": game_day.speed,
        "events_total": total,
        "events_sent": game_day.emitted,
        "progress": round(game_day.emitted / total, 4) if total else 1.0,
        "started_at": game_day.started_at,
        "ends_around": services.ends_around(game_day),
        "fed_at": game_day.fed_at,
        "ended_at": game_day.ended_at,
        "stop_reason": game_day.stop_reason,
        "sandbox_kept": game_day.sandbox_id is not None,
        "sandbox_purged_at": game_day.sandbox_purged_at,
        "report": report_json(game_day),
    }


def _period_recording(access: CommunityAccess, period: dict[str, Any]) -> recordings.Recording:
    space = None
    if "space_id" in period:
        try:
            space = get_space(access, period["space_id"])
        except Http404:
            raise ServiceError("There is no such space in this community.") from None
    return recordings.from_period(
        community=access.community, start=period["from"], end=period["to"], space=space
    )


class GameDayListView(APIView):
    """Game days (rehearsals of a runbook on a recorded flame war in a hidden sandbox), newest
    first. `moderate` keys start one: refused while a real incident is open, a live clause's
    budget is not healthy or another game day runs."""

    required_scope = {"GET": "read", "POST": "moderate"}

    @extend_schema(
        operation_id="game_days_list",
        responses={200: GameDaySerializer(many=True), 403: ErrorSerializer},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        rows = visible_game_days(access_of(request))[:100]
        return Response([game_day_json(g) for g in rows])

    @extend_schema(
        operation_id="game_days_start",
        request=GameDayStartSerializer,
        responses={201: GameDaySerializer, **REFUSALS},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        access = access_of(request)
        visible_game_days(access)
        access.require_moderator("Only this community's moderators can run game days.")
        data = GameDayStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            runbook = get_runbook(access, v["runbook_id"])
        except Http404:
            raise ServiceError("There is no such runbook in this community.") from None
        if "period" in v:
            recording = _period_recording(access, v["period"])
        else:
            recording = recordings.choose_recording(
                community=access.community, choice=v["recording"]
            )
        game_day = services.start_game_day(
            community=access.community,
            recording=recording,
            runbook=runbook,
            speed=int(v["speed"]),
            by=None,
        )
        return Response(game_day_json(game_day), status=status.HTTP_201_CREATED)


class GameDayDetailView(APIView):
    """One game day: its status, how much of the recording was played, and the report as it
    stands (final once it ended)."""

    required_scope = "read"

    @extend_schema(
        operation_id="game_days_retrieve",
        responses={200: GameDaySerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(game_day_json(get_game_day(access_of(request), pk)))


class GameDayStopView(APIView):
    """Finish the rehearsal: the recording stops and the report is frozen (400 if it already
    ended)."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="game_days_stop",
        request=None,
        responses={200: GameDaySerializer, **REFUSALS},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        game_day = get_game_day(access_of(request), pk, write=True)
        return Response(game_day_json(services.stop_game_day(game_day=game_day, by=None)))


class GameDayReportView(APIView):
    """The rehearsal's report: minutes to a facilitator and to a cooldown, the runbook steps
    done, skipped, done late and not done. It counts apart from real incidents."""

    required_scope = "read"

    @extend_schema(
        operation_id="game_days_report",
        responses={200: GameDayReportSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(report_json(get_game_day(access_of(request), pk)))


class RecordingListView(APIView):
    """What a game day can replay: the samples shipped with the app and the community's
    resolved incidents (their spaces' events from declaration to resolution, names replaced)."""

    required_scope = "read"

    @extend_schema(
        operation_id="game_days_recordings",
        responses={200: RecordingSerializer(many=True), 403: ErrorSerializer},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        access = access_of(request)
        visible_game_days(access)
        rows = [
            {"recording": f"sample:{k}", "kind": "sample", "title": recordings.sample_title(k)}
            for k in recordings.sample_keys()
        ]
        rows += [
            {"recording": f"incident:{i.pk}", "kind": "incident", "title": i.title}
            for i in recordings.recording_incidents(access.community)[:100]
        ]
        return Response(rows)
