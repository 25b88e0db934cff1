"""REST API for incidents and cooldowns. Reads need `read`; writes need `moderate`. Objects are
fetched through the same access helpers as the pages (``incidents.access``), so the key's
community and the same per-object rules apply; writes call the same services as the pages. A
service's refusal becomes 400 (409 when the incident moved) in ``community.api_errors``."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.access import CommunityAccess, get_memberships, get_space, get_spaces
from community.api_auth import access_of
from community.models import ApiKey
from incidents import services
from incidents.access import (
    get_cooldown,
    get_incident,
    get_runbook,
    get_step,
    visible_cooldowns,
    visible_incidents,
)
from incidents.models import IncidentRole
from incidents.serializers import (
    CooldownInSerializer,
    CooldownOutSerializer,
    DeclareInSerializer,
    ErrorSerializer,
    ExtendInSerializer,
    IncidentDetailSerializer,
    IncidentOutSerializer,
    LiftInSerializer,
    StartRunbookInSerializer,
    StepActionInSerializer,
    UpdateInSerializer,
)

WRITE = {"GET": "read", "*": "moderate"}


def _actor(request: Request) -> services.Actor:
    key = request.auth
    name = key.name if isinstance(key, ApiKey) else "unknown"
    return services.Actor.system(f"API key “{name}”")


def _detail(access: CommunityAccess, pk: int, code: int = 200) -> Response:
    return Response(IncidentDetailSerializer(get_incident(access, pk)).data, status=code)


class IncidentListView(APIView):
    """List incidents (newest first), or declare one."""

    required_scope = WRITE

    @extend_schema(
        operation_id="incidents_list",
        responses=IncidentOutSerializer(many=True),
        tags=["incidents"],
    )
    def get(self, request: Request) -> Response:
        qs = visible_incidents(access_of(request)).prefetch_related(
            "spaces",
            Prefetch("roles", queryset=IncidentRole.objects.active().select_related("membership")),
        )
        if request.query_params.get("open") == "true":
            qs = qs.open()
        return Response(IncidentOutSerializer(qs[:200], many=True).data)

    @extend_schema(
        operation_id="incidents_declare",
        request=DeclareInSerializer,
        responses={201: IncidentDetailSerializer, 400: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Declare",
                value={"title": "Proposals: vote got heated", "severity": "SEV3", "space_ids": [5]},
                request_only=True,
            )
        ],
        tags=["incidents"],
    )
    def post(self, request: Request) -> Response:
        access = access_of(request)
        data_in = DeclareInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        spaces = get_spaces(access, data["space_ids"])
        parties = get_memberships(access, data["party_ids"])
        if len(spaces) != len(set(data["space_ids"])):
            return Response({"detail": "Unknown space id for this community."}, status=400)
        if len(parties) != len(set(data["party_ids"])):
            return Response({"detail": "Unknown member id for this community."}, status=400)
        incident = services.declare_incident(
            community=access.community,
            title=data["title"],
            severity=data["severity"],
            summary=data["summary"],
            spaces=spaces,
            parties=parties,
            actor=_actor(request),
            detected_by="api",
        )
        return _detail(access, incident.pk, 201)


class IncidentDetailView(APIView):
    """One incident; PATCH updates fields or moves the status (send the version you read)."""

    required_scope = {"GET": "read", "*": "moderate"}

    @extend_schema(
        operation_id="incidents_retrieve", responses=IncidentDetailSerializer, tags=["incidents"]
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(access_of(request), pk)

    @extend_schema(
        operation_id="incidents_update",
        request=UpdateInSerializer,
        responses={200: IncidentDetailSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Advance", value={"version": 3, "status": "mitigating"}, request_only=True
            )
        ],
        tags=["incidents"],
    )
    def patch(self, request: Request, pk: int) -> Response:
        access = access_of(request)
        incident = get_incident(access, pk, write=True)
        data_in = UpdateInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data: dict[str, Any] = data_in.validated_data
        actor = _actor(request)
        version = data["version"]
        fields = {k: data[k] for k in ("title", "summary", "severity") if k in data}
        if fields:
            incident = services.update_incident(
                incident=incident, expected_version=version, actor=actor, **fields
            )
            version = incident.version
        if data.get("status"):
            services.transition_incident(
                incident=incident,
                to=data["status"],
                expected_version=version,
                actor=actor,
                reason=data["reason"],
            )
        return _detail(access, pk)


class RunbookStartView(APIView):
    required_scope = "moderate"

    @extend_schema(
        operation_id="incidents_runbook_start",
        request=StartRunbookInSerializer,
        responses={201: IncidentDetailSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        tags=["incidents"],
    )
    def post(self, request: Request, pk: int) -> Response:
        access = access_of(request)
        incident = get_incident(access, pk, write=True)
        data_in = StartRunbookInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        try:
            runbook = get_runbook(access, data_in.validated_data["runbook_id"])
        except Http404:
            return Response({"detail": "Unknown runbook for this community."}, status=400)
        services.start_runbook(
            incident=incident,
            runbook=runbook,
            expected_version=data_in.validated_data["version"],
            actor=_actor(request),
        )
        return _detail(access, pk, 201)


class StepActionView(APIView):
    required_scope = "moderate"

    @extend_schema(
        operation_id="incidents_step_action",
        request=StepActionInSerializer,
        responses={200: IncidentDetailSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        tags=["incidents"],
    )
    def post(self, request: Request, pk: int, step_id: int) -> Response:
        access = access_of(request)
        incident = get_incident(access, pk, write=True)
        step = get_step(access, incident, step_id)
        data_in = StepActionInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        if data["action"] == "skip":
            services.skip_step(
                step_run=step,
                reason=data["reason"],
                expected_version=data["version"],
                actor=_actor(request),
            )
        else:
            services.run_step_now(
                step_run=step, expected_version=data["version"], actor=_actor(request)
            )
        return _detail(access, pk)


class CooldownListView(APIView):
    """Active cooldowns (``?all=true`` for the last 200), or start one."""

    required_scope = WRITE

    @extend_schema(
        operation_id="cooldowns_list",
        responses=CooldownOutSerializer(many=True),
        tags=["cooldowns"],
    )
    def get(self, request: Request) -> Response:
        qs = visible_cooldowns(access_of(request))
        if request.query_params.get("all") != "true":
            qs = qs.active()
        return Response(CooldownOutSerializer(qs[:200], many=True).data)

    @extend_schema(
        operation_id="cooldowns_start",
        request=CooldownInSerializer,
        responses={201: CooldownOutSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Slow mode for two hours",
                value={
                    "space_id": 5,
                    "mode": "slow_mode",
                    "slow_mode_seconds": 120,
                    "ends_at": "2026-11-23T21:00:00Z",
                    "incident_id": 12,
                    "version": 4,
                },
                request_only=True,
            )
        ],
        tags=["cooldowns"],
    )
    def post(self, request: Request) -> Response:
        access = access_of(request)
        data_in = CooldownInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        try:
            space = get_space(access, data["space_id"])
        except Http404:
            return Response(
                {"detail": "Unknown space for this community; a cooldown stays at home."},
                status=400,
            )
        incident = None
        if data["incident_id"] is not None:
            incident = get_incident(access, data["incident_id"], write=True)
        cooldown = services.start_cooldown(
            community=access.community,
            space=space,
            mode=data["mode"],
            slow_mode_seconds=data["slow_mode_seconds"],
            ends_at=data["ends_at"],
            actor=_actor(request),
            incident=incident,
            expected_version=data["version"],
        )
        return Response(CooldownOutSerializer(cooldown).data, status=201)


class CooldownExtendView(APIView):
    required_scope = "moderate"

    @extend_schema(
        operation_id="cooldowns_extend",
        request=ExtendInSerializer,
        responses={200: CooldownOutSerializer, 400: ErrorSerializer},
        tags=["cooldowns"],
    )
    def post(self, request: Request, pk: int) -> Response:
        cooldown = get_cooldown(access_of(request), pk, write=True)
        data_in = ExtendInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        cooldown = services.extend_cooldown(
            cooldown=cooldown, ends_at=data_in.validated_data["ends_at"], actor=_actor(request)
        )
        return Response(CooldownOutSerializer(cooldown).data)


class CooldownLiftView(APIView):
    required_scope = "moderate"

    @extend_schema(
        operation_id="cooldowns_lift",
        request=LiftInSerializer,
        responses={200: CooldownOutSerializer, 400: ErrorSerializer},
        tags=["cooldowns"],
    )
    def post(self, request: Request, pk: int) -> Response:
        cooldown = get_cooldown(access_of(request), pk, write=True)
        data_in = LiftInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        cooldown = services.lift_cooldown(
            cooldown=cooldown, reason=data_in.validated_data["reason"], actor=_actor(request)
        )
        return Response(CooldownOutSerializer(cooldown).data)
