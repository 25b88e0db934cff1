"""The replays API: ask for a dry run of a clause (202, with its URL), read it, dismiss it."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api_auth import access_of
from community.contract.access import get_clause
from community.contract.replay.access import get_replay
from community.contract.replay.models import Replay
from community.contract.replay.serializers import ReplayInSerializer, ReplayOutSerializer
from community.contract.replay.services import ReplayInvalid, dismiss_replay, request_replay
from community.contract.serializers import DefinitionSerializer
from community.serializers import flatten_errors


def _invalid(errors: list[tuple[str, str]]) -> Response:
    return Response(
        {
            "detail": "The replay was not started; nothing changed.",
            "errors": [{"field": f, "message": m} for f, m in errors],
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


def _members(policy: dict[str, Any] | None) -> dict[str, Any] | None:
    if policy is None:
        return None
    return {
        "at": policy["at"],
        "live_policy": policy["live_policy"],
        "draft_policy": policy["draft_policy"],
        "count": policy["members"],
        "by_tier": policy["by_tier"],
        "by_cohort": policy["by_cohort"],
        "changed_count": policy["changed_count"],
        "changed": policy["changed"],
        # Replays kept from before the whole-period comparison have none.
        "period": policy.get("period"),
    }


def replay_row(replay: Replay) -> dict[str, Any]:
    results = replay.results or {}
    policy = results.get("policy")
    return {
        "id": replay.pk,
        "url": reverse("api:replay-detail", kwargs={"pk": replay.pk}),
        "status": replay.status,
        "progress": replay.progress,
        "clause_id": replay.clause_id,
        "definition": replay.definition,
        "from": replay.period_from,
        "to": replay.period_to,
        "events": results.get("events"),
        "alerts": results.get("alerts", []),
        "live_alerts": results.get("live_alerts"),
        "policy": replay.policy,
        "runbook_id": replay.runbook_id,
        "standing": results.get("standing"),
        "incidents": results.get("incidents"),
        "members": _members(policy),
        "charges": None
        if policy is None
        else {"differ": policy["charges_differ"], "rows": policy["charges"]},
        "created_at": replay.created_at,
        "finished_at": replay.finished_at,
    }


def _api_field(field: str) -> str:
    """The request's name for a field a replay was refused for."""
    if field in {"from", "to", "clause", "policy", "runbook_id"} or field.startswith("policy."):
        return field
    return f"clause.{field}"


class ReplayListView(APIView):
    """Ask for a replay of a clause body or an existing clause, a draft budget policy, or
    both, over a past period."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="replays_create",
        request=ReplayInSerializer,
        responses={202: ReplayOutSerializer},
        tags=["contract"],
    )
    def post(self, request: Request) -> Response:
        access = access_of(request)
        access.require_moderator("Only this community's moderators can ask for a replay.")
        data = ReplayInSerializer(data=request.data)
        if not data.is_valid():
            return _invalid(flatten_errors(data.errors))
        values = data.validated_data
        clause = None
        definition = None
        if "clause_id" in values:
            try:
                clause = get_clause(access, values["clause_id"])
            except Http404:
                return _invalid([("clause_id", "There is no such clause in this community.")])
            definition = clause.published_definition() or clause.draft_definition()
        elif "clause" in values:
            definition = DefinitionSerializer().to_definition(values["clause"])
        try:
            replay = request_replay(
                community=access.community,
                definition=definition,
                policy=values.get("policy"),
                runbook_id=values.get("runbook_id"),
                start=values.get("from"),
                end=values.get("to"),
                clause=clause,
            )
        except ReplayInvalid as exc:
            return _invalid([(_api_field(exc.field), str(exc))])
        row = ReplayOutSerializer(replay_row(replay)).data
        return Response(row, status=status.HTTP_202_ACCEPTED, headers={"Location": row["url"]})


class ReplayDetailView(APIView):
    required_scope = {"GET": "read", "DELETE": "moderate"}

    @extend_schema(
        operation_id="replays_retrieve", responses=ReplayOutSerializer, tags=["contract"]
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ReplayOutSerializer(replay_row(get_replay(access_of(request), pk))).data)

    @extend_schema(operation_id="replays_dismiss", responses={204: None}, tags=["contract"])
    def delete(self, request: Request, pk: int) -> Response:
        dismiss_replay(replay=get_replay(access_of(request), pk, write=True))
        return Response(status=status.HTTP_204_NO_CONTENT)
