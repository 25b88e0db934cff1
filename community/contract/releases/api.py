"""REST API of contract releases: trials (canaries), the spokescouncil and release health.
Every query is filtered by the key's community; refusals are JSON through
``community.api_errors``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.access import get_membership, get_space
from community.api_auth import access_of, community_of
from community.contract.access import get_version
from community.contract.releases.access import get_canary, get_group, visible_canaries
from community.contract.releases.canary import (
    promote_canary,
    roll_back_canary,
    start_canary,
)
from community.contract.releases.council import (
    add_group,
    answer_draft,
    configure_council,
    current_draft,
    facilitator,
    get_council,
    name_delegate,
    standing_answers,
    withdraw_block,
)
from community.contract.releases.gate import Thresholds
from community.contract.releases.health import version_health
from community.contract.releases.measure import thresholds_of
from community.contract.releases.models import Answer, Canary, TrialKind
from community.contract.releases.policy_trial import start_policy_trial
from community.contract.releases.serializers import (
    ReleaseAnswerInSerializer,
    ReleaseAnswerOutSerializer,
    ReleaseCanaryInSerializer,
    ReleaseCanaryOutSerializer,
    ReleaseCouncilInSerializer,
    ReleaseCouncilOutSerializer,
    ReleaseGroupInSerializer,
    ReleaseGroupOutSerializer,
    ReleaseHealthOutSerializer,
)
from community.contract.releases.words import said_findings, threshold_words
from community.contract.text import exact
from community.models import ApiKey
from community.services import ServiceError


def _key_name(request: Request) -> str:
    return f"API key “{request.auth.name}”" if isinstance(request.auth, ApiKey) else "API"


def _canary(canary: Canary) -> dict[str, Any]:
    return {
        "id": canary.pk,
        "kind": canary.kind,
        "number": canary.number,
        "costs": canary.policy_changes.get("costs", {}),
        "summary": canary.summary,
        "status": canary.status,
        "space_ids": sorted(s.pk for s in canary.spaces.all()),
        "baseline": canary.baseline,
        "started_at": canary.started_at,
        "ends_at": canary.ends_at,
        "finished_at": canary.finished_at,
        "outcome": canary.outcome,
        "gate": canary.last_verdict.get("state", ""),
        "findings": said_findings(canary.last_verdict.get("findings", [])),
        "thresholds": threshold_words(thresholds_of(canary)),
        "timeline": [
            {"at": e.at, "kind": e.kind, "words": e.words, "by_name": e.by_name}
            for e in canary.entries.all()
        ],
        "promoted_version": canary.promoted_version.number if canary.promoted_version else None,
        "promoted_policy_version": canary.promoted_policy_version,
    }


class CanaryListView(APIView):
    """Trials of the contract draft in some spaces. `moderate` keys start one."""

    required_scope = {"GET": "read", "POST": "moderate"}

    @extend_schema(
        operation_id="canaries_list",
        responses=ReleaseCanaryOutSerializer(many=True),
        tags=["releases"],
    )
    def get(self, request: Request) -> Response:
        rows = visible_canaries(access_of(request)).select_related("promoted_version")
        return Response([_canary(c) for c in rows.prefetch_related("entries")])

    @extend_schema(
        operation_id="canaries_create",
        request=ReleaseCanaryInSerializer,
        responses={201: ReleaseCanaryOutSerializer},
        tags=["releases"],
    )
    def post(self, request: Request) -> Response:
        data = ReleaseCanaryInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        common: dict[str, Any] = {
            "community": community_of(request),
            "space_ids": v["space_ids"],
            "duration_hours": v["duration_hours"],
            "summary": v["summary"],
            "baseline": v["baseline"],
            "thresholds": Thresholds(
                sli_drop_points=Decimal(str(v["sli_drop_points"])),
                burn_rate=Decimal(str(v["burn_rate"])),
                overturned_percent=Decimal(str(v["overturned_percent"])),
                min_events=v["min_events"],
            ),
            "by": None,
            "by_name": _key_name(request),
        }
        if v["kind"] == TrialKind.POLICY:
            canary = start_policy_trial(costs=v["costs"], **common)
        else:
            canary = start_canary(**common)
        return Response(_canary(canary), status=status.HTTP_201_CREATED)


class CanaryDetailView(APIView):
    required_scope = "read"

    @extend_schema(
        operation_id="canaries_retrieve", responses=ReleaseCanaryOutSerializer, tags=["releases"]
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_canary(get_canary(access_of(request), pk)))


class CanaryPromoteView(APIView):
    required_scope = "moderate"

    @extend_schema(
        operation_id="canaries_promote",
        request=None,
        responses=ReleaseCanaryOutSerializer,
        tags=["releases"],
    )
    def post(self, request: Request, pk: int) -> Response:
        canary = get_canary(access_of(request), pk, write=True)
        return Response(_canary(promote_canary(canary=canary, by=None, by_name=_key_name(request))))


class CanaryRollbackView(APIView):
    required_scope = "moderate"

    @extend_schema(
        operation_id="canaries_rollback",
        request=None,
        responses=ReleaseCanaryOutSerializer,
        tags=["releases"],
    )
    def post(self, request: Request, pk: int) -> Response:
        canary = get_canary(access_of(request), pk, write=True)
        return Response(_canary(roll_back_canary(canary=canary, by_name=_key_name(request))))


def _council(request: Request) -> dict[str, Any]:
    community = community_of(request)
    council = get_council(community=community)
    draft = current_draft(community)
    rows = standing_answers(council, draft[1]) if draft else []
    if not draft:
        rows = [
            type("Row", (), {"group": g, "answer": None})()
            for g in council.groups.select_related("delegate")
        ]
    person, passes = facilitator(council)
    return {
        "enabled": council.enabled,
        "rotation_days": council.rotation_days,
        "facilitator": person.display_name if person else "",
        "facilitator_until": passes,
        "draft_number": draft[0] if draft else None,
        "draft_fingerprint": draft[1] if draft else "",
        "groups": [
            {
                "id": r.group.pk,
                "name": r.group.name,
                "space_id": r.group.space_id,
                "delegate_id": r.group.delegate_id,
                "delegate": r.group.delegate.display_name if r.group.delegate else "",
                "answer": r.answer.kind if r.answer else None,
                "reason": r.answer.reason if r.answer else "",
            }
            for r in rows
        ],
    }


class CouncilView(APIView):
    """The spokescouncil: whether ratification is on, the groups, their delegates and their
    answers to the current draft, and who facilitates."""

    required_scope = {"GET": "read", "PUT": "moderate"}

    @extend_schema(
        operation_id="council_retrieve", responses=ReleaseCouncilOutSerializer, tags=["releases"]
    )
    def get(self, request: Request) -> Response:
        return Response(_council(request))

    @extend_schema(
        operation_id="council_update",
        request=ReleaseCouncilInSerializer,
        responses=ReleaseCouncilOutSerializer,
        tags=["releases"],
    )
    def put(self, request: Request) -> Response:
        data = ReleaseCouncilInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        configure_council(
            community=community_of(request),
            enabled=data.validated_data["enabled"],
            rotation_days=data.validated_data["rotation_days"],
        )
        return Response(_council(request))


class CouncilGroupsView(APIView):
    required_scope = "moderate"

    @extend_schema(
        operation_id="council_groups_create",
        request=ReleaseGroupInSerializer,
        responses={201: ReleaseGroupOutSerializer},
        tags=["releases"],
    )
    def post(self, request: Request) -> Response:
        data = ReleaseGroupInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        access = access_of(request)
        v = data.validated_data
        try:
            space = get_space(access, v["space_id"]) if v["space_id"] else None
            delegate = get_membership(access, v["delegate_id"]) if v["delegate_id"] else None
        except Http404:
            raise ServiceError(_("No such space or member in this community.")) from None
        group = add_group(
            community=access.community, name=v["name"], space=space, delegate=delegate
        )
        body = {
            "id": group.pk,
            "name": group.name,
            "space_id": group.space_id,
            "delegate_id": group.delegate_id,
            "delegate": delegate.display_name if delegate else "",
            "answer": None,
            "reason": "",
        }
        return Response(body, status=status.HTTP_201_CREATED)


class CouncilDelegateView(APIView):
    required_scope = "moderate"

    @extend_schema(
        operation_id="council_groups_delegate",
        request=ReleaseGroupInSerializer,
        responses=ReleaseGroupOutSerializer,
        tags=["releases"],
    )
    def put(self, request: Request, pk: int) -> Response:
        data = ReleaseGroupInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        access = access_of(request)
        group = get_group(access, pk)
        delegate = get_membership(access, data.validated_data["delegate_id"] or 0)
        name_delegate(group=group, delegate=delegate)
        body = {
            "id": group.pk,
            "name": group.name,
            "space_id": group.space_id,
            "delegate_id": delegate.pk,
            "delegate": delegate.display_name,
            "answer": None,
            "reason": "",
        }
        return Response(body)


def _answer(a: Answer) -> dict[str, Any]:
    return {
        "id": a.pk,
        "group_id": a.group_id,
        "number": a.number,
        "delegate": a.delegate_name,
        "kind": a.kind,
        "reason": a.reason,
        "answered_at": a.answered_at,
        "withdrawn": a.withdrawn,
        "standing": a.replaced_at is None,
    }


class CouncilAnswerView(APIView):
    """Record a delegate's answer for their group (a forum bot or tool relaying it, with a
    ``moderate`` key). ``delegate_id`` must be that group's delegate: anyone else is refused
    with 403 and nothing is recorded."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="council_groups_answer",
        request=ReleaseAnswerInSerializer,
        responses={201: ReleaseAnswerOutSerializer},
        tags=["releases"],
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ReleaseAnswerInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        access = access_of(request)
        group = get_group(access, pk)
        member = get_membership(access, data.validated_data["delegate_id"])
        try:
            if data.validated_data["kind"] == "withdraw":
                answer = withdraw_block(group=group, membership=member)
            else:
                answer = answer_draft(
                    community=access.community,
                    group=group,
                    membership=member,
                    kind=data.validated_data["kind"],
                    reason=data.validated_data["reason"],
                    fingerprint=data.validated_data["fingerprint"],
                )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from None
        return Response(_answer(answer), status=status.HTTP_201_CREATED)


class HealthView(APIView):
    """Release health of one published version."""

    required_scope = "read"

    @extend_schema(
        operation_id="releases_health", responses=ReleaseHealthOutSerializer, tags=["releases"]
    )
    def get(self, request: Request, number: int) -> Response:
        health = version_health(get_version(access_of(request), number))
        return Response(
            {
                "version": health.version.number,
                "published_at": health.version.published_at,
                "clauses": [
                    {
                        "clause_id": c.clause_id,
                        "title": c.title,
                        "sli_before": None if c.before is None else exact(c.before),
                        "sli_after": None if c.after is None else exact(c.after),
                        "worse": c.worse,
                        "words": c.words,
                    }
                    for c in health.clauses
                ],
                "canary": health.canary.outcome if health.canary else "",
                "answers": [_answer(a) for a in health.answers],
                "replay": health.replay,
            }
        )
