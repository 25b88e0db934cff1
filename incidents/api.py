"""REST API for incidents and cooldowns. Reads need `read`; writes need `moderate`. Every
query is filtered by the key's community; writes call the same services as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api_auth import community_of
from community.models import ApiKey, Community
from community.services import ServiceError
from incidents import services
from incidents.models import Cooldown, Incident, IncidentRole, Runbook, StepRun
from incidents.models.incidents import IncidentQuerySet
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


def _refused(exc: ServiceError) -> Response:
    code = status.HTTP_409_CONFLICT if isinstance(exc, services.StaleIncident) else 400
    return Response({"detail": str(exc)}, status=code)


def _incidents(community: Community) -> IncidentQuerySet:
    return Incident.objects.for_community(community).prefetch_related(
        "spaces",
        Prefetch("roles", queryset=IncidentRole.objects.active().select_related("membership")),
    )


def _incident(community: Community, pk: int) -> Incident:
    incident = _incidents(community).filter(pk=pk).first()
    if incident is None:
        raise NotFound("No such incident in this community.")
    return incident


def _detail(community: Community, pk: int, code: int = 200) -> Response:
    return Response(IncidentDetailSerializer(_incident(community, pk)).data, status=code)


class IncidentListView(APIView):
    """List incidents (newest first), or declare one."""

    required_scope = WRITE

    @extend_schema(
        operation_id="incidents_list",
        responses=IncidentOutSerializer(many=True),
        tags=["incidents"],
    )
    def get(self, request: Request) -> Response:
        qs = _incidents(community_of(request))
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
        community = community_of(request)
        data_in = DeclareInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        spaces = list(community.spaces.filter(pk__in=data["space_ids"]))
        parties = list(community.memberships.filter(pk__in=data["party_ids"]))
        if len(spaces) != len(set(data["space_ids"])):
            return Response({"detail": "Unknown space id for this community."}, status=400)
        if len(parties) != len(set(data["party_ids"])):
            return Response({"detail": "Unknown member id for this community."}, status=400)
        try:
            incident = services.declare_incident(
                community=community,
                title=data["title"],
                severity=data["severity"],
                summary=data["summary"],
                spaces=spaces,
                parties=parties,
                actor=_actor(request),
                detected_by="api",
            )
        except ServiceError as exc:
            return _refused(exc)
        return _detail(community, incident.pk, 201)


class IncidentDetailView(APIView):
    """One incident; PATCH updates fields or moves the status (send the version you read)."""

    required_scope = {"GET": "read", "*": "moderate"}

    @extend_schema(
        operation_id="incidents_retrieve", responses=IncidentDetailSerializer, tags=["incidents"]
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(community_of(request), pk)

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
        community = community_of(request)
        incident = _incident(community, pk)
        data_in = UpdateInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data: dict[str, Any] = data_in.validated_data
        actor = _actor(request)
        try:
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
        except ServiceError as exc:
            return _refused(exc)
        return _detail(community, pk)


class RunbookStartView(APIView):
    required_scope = "moderate"

    @extend_schema(
        operation_id="incidents_runbook_start",
        request=StartRunbookInSerializer,
        responses={201: IncidentDetailSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        tags=["incidents"],
    )
    def post(self, request: Request, pk: int) -> Response:
        community = community_of(request)
        incident = _incident(community, pk)
        data_in = StartRunbookInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        runbook = Runbook.objects.filter(
            community=community, pk=data_in.validated_data["runbook_id"]
        ).first()
        if runbook is None:
            return Response({"detail": "Unknown runbook for this community."}, status=400)
        try:
            services.start_runbook(
                incident=incident,
                runbook=runbook,
                expected_version=data_in.validated_data["version"],
                actor=_actor(request),
            )
        except ServiceError as exc:
            return _refused(exc)
        return _detail(community, pk, 201)


class StepActionView(APIView):
    required_scope = "moderate"

    @extend_schema(
        operation_id="incidents_step_action",
        request=StepActionInSerializer,
        responses={200: IncidentDetailSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        tags=["incidents"],
    )
    def post(self, request: Request, pk: int, step_id: int) -> Response:
        community = community_of(request)
        incident = _incident(community, pk)
        step = StepRun.objects.filter(run__incident=incident, pk=step_id).first()
        if step is None:
            raise NotFound("No such step on this incident.")
        data_in = StepActionInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        try:
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
        except ServiceError as exc:
            return _refused(exc)
        return _detail(community, pk)


class CooldownListView(APIView):
    """Active cooldowns (``?all=true`` for the last 200), or start one."""

    required_scope = WRITE

    @extend_schema(
        operation_id="cooldowns_list",
        responses=CooldownOutSerializer(many=True),
        tags=["cooldowns"],
    )
    def get(self, request: Request) -> Response:
        qs = Cooldown.objects.filter(community=community_of(request)).select_related("space")
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
        community = community_of(request)
        data_in = CooldownInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        space = community.spaces.filter(pk=data["space_id"]).first()
        if space is None:
            return Response(
                {"detail": "Unknown space for this community; a cooldown stays at home."},
                status=400,
            )
        incident = None
        if data["incident_id"] is not None:
            incident = _incident(community, data["incident_id"])
        try:
            cooldown = services.start_cooldown(
                community=community,
                space=space,
                mode=data["mode"],
                slow_mode_seconds=data["slow_mode_seconds"],
                ends_at=data["ends_at"],
                actor=_actor(request),
                incident=incident,
                expected_version=data["version"],
            )
        except ServiceError as exc:
            return _refused(exc)
        return Response(CooldownOutSerializer(cooldown).data, status=201)


def _cooldown(community: Community, pk: int) -> Cooldown:
    cooldown = Cooldown.objects.filter(community=community, pk=pk).select_related("space").first()
    if cooldown is None:
        raise NotFound("No such cooldown in this community.")
    return cooldown


class CooldownExtendView(APIView):
    required_scope = "moderate"

    @extend_schema(
        operation_id="cooldowns_extend",
        request=ExtendInSerializer,
        responses={200: CooldownOutSerializer, 400: ErrorSerializer},
        tags=["cooldowns"],
    )
    def post(self, request: Request, pk: int) -> Response:
        cooldown = _cooldown(community_of(request), pk)
        data_in = ExtendInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        try:
            cooldown = services.extend_cooldown(
                cooldown=cooldown,
                ends_at=data_in.validated_data["ends_at"],
                actor=_actor(request),
            )
        except ServiceError as exc:
            return _refused(exc)
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
        cooldown = _cooldown(community_of(request), pk)
        data_in = LiftInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        try:
            cooldown = services.lift_cooldown(
                cooldown=cooldown, reason=data_in.validated_data["reason"], actor=_actor(request)
            )
        except ServiceError as exc:
            return _refused(exc)
        return Response(CooldownOutSerializer(cooldown).data)
