"""REST API of budgets: members with their budgets, a member's ledger, charges, forgiveness
and the policy. Every query is filtered by the API key's community."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from budgets import services
from budgets.access import get_budget_member, get_charges
from budgets.models import Forgiveness, TierTransition
from budgets.models.snapshots import TIER_CHOICES
from budgets.serializers import (
    ChargeInSerializer,
    ChargeSerializer,
    ForgivenessInSerializer,
    ForgivenessOutSerializer,
    LedgerSerializer,
    MemberSerializer,
    PolicyErrorSerializer,
    PolicySerializer,
)
from community.access import get_membership, visible_memberships
from community.api_auth import access_of, community_of
from community.models import Membership
from community.serializers import flatten_errors


@extend_schema(
    tags=["budgets"],
    parameters=[
        OpenApiParameter("source", str, description="Identity source, e.g. `discourse`."),
        OpenApiParameter("external_id", str, description="The forum's user id (with source)."),
        OpenApiParameter("tier", str, enum=[t for t, _ in TIER_CHOICES]),
    ],
)
class MemberListView(generics.ListAPIView[Membership]):
    """Members with their forgiveness budget (null until first calculated)."""

    required_scope = "read"
    serializer_class = MemberSerializer

    def get_queryset(self) -> QuerySet[Membership]:
        params = self.request.query_params
        members = (
            visible_memberships(access_of(self.request))
            .select_related("budget")
            .prefetch_related("identities")
            .order_by("pk")
        )
        source, external_id, tier = (
            params.get("source", ""),
            params.get("external_id", ""),
            params.get("tier", ""),
        )
        if external_id and not source:
            raise ValidationError({"source": "Give the identity's source with its external_id."})
        if source:
            found = {"identities__source": source}
            if external_id:
                found["identities__external_id"] = external_id
            members = members.filter(**found).distinct()
        if tier:
            if tier not in dict(TIER_CHOICES):
                raise ValidationError({"tier": f"One of {', '.join(dict(TIER_CHOICES))}."})
            members = members.filter(budget__tier=tier)
        return members


class LedgerView(APIView):
    """A member's ledger: charges (newest first), forgiveness entries and tier transitions."""

    required_scope = "read"

    @extend_schema(responses=LedgerSerializer, tags=["budgets"])
    def get(self, request: Request, pk: int) -> Response:
        member = get_budget_member(access_of(request), pk)
        data = {
            "member": member,
            "charges": member.charges.select_related("forgiveness")[:500],
            "forgiveness": Forgiveness.objects.filter(charge__membership=member).select_related(
                "by"
            )[:500],
            "transitions": TierTransition.objects.filter(membership=member)[:500],
        }
        return Response(LedgerSerializer(data).data)


class ChargeCreateView(APIView):
    """Charge a member for friction the forum did not report (a moderator's own charge)."""

    required_scope = "moderate"

    @extend_schema(
        request=ChargeInSerializer,
        responses={201: ChargeSerializer},
        tags=["budgets"],
        examples=[
            OpenApiExample(
                "A warning",
                request_only=True,
                value={
                    "member_id": 12,
                    "kind": "moderator_warning",
                    "severity": "moderate",
                    "reason": "Personal remarks in Proposals",
                    "occurred_at": "2026-11-20T10:00:00Z",
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        access = access_of(request)
        data = ChargeInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            member = get_membership(access, values["member_id"])
        except Http404:
            raise ValidationError({"member_id": _("No such member in this community.")}) from None
        charge = services.create_charge(
            community=access.community,
            membership=member,
            kind=values["kind"],
            severity=values["severity"],
            reason=values["reason"],
            occurred_at=values["occurred_at"],
            cost=values.get("cost"),
            by=None,
        )
        return Response(ChargeSerializer(charge).data, status=status.HTTP_201_CREATED)


class ForgivenessCreateView(APIView):
    """Forgive charges (moderator grace, or a restorative agreement kept)."""

    required_scope = "moderate"

    @extend_schema(
        request=ForgivenessInSerializer,
        responses={201: ForgivenessOutSerializer},
        tags=["budgets"],
        examples=[
            OpenApiExample(
                "Grace",
                request_only=True,
                value={"charge_ids": [41, 42], "reason": "Apologised in the thread"},
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = ForgivenessInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        ids = set(values["charge_ids"])
        charges = get_charges(access_of(request), ids, forgive=True)
        missing = sorted(ids - {c.pk for c in charges})
        if missing:
            raise ValidationError({"charge_ids": f"Not charges of this community: {missing}."})
        entries = services.forgive_charges(
            charges=charges, reason=values["reason"], by=None, kind=values["kind"]
        )
        forgiven = {e.charge_id for e in entries}
        out = {"forgiven": entries, "already_released": sorted(ids - forgiven)}
        return Response(ForgivenessOutSerializer(out).data, status=status.HTTP_201_CREATED)


class PolicyView(APIView):
    """The community's forgiveness policy. PUT validates, saves a new version and
    recalculates every budget; a policy out of range is refused with a message per field."""

    required_scope: dict[str, str] = {"GET": "read", "PUT": "moderate"}

    @extend_schema(responses=PolicySerializer, tags=["budgets"])
    def get(self, request: Request) -> Response:
        policy = services.get_policy(community=community_of(request))
        return Response(PolicySerializer(policy.as_dict()).data)

    @extend_schema(
        request=PolicySerializer,
        responses={200: PolicySerializer, 400: PolicyErrorSerializer},
        tags=["budgets"],
        examples=[
            OpenApiExample(
                "Longer window",
                request_only=True,
                value={"window_days": 45, "note": "Slower regeneration after the spring"},
            )
        ],
    )
    def put(self, request: Request) -> Response:
        community = community_of(request)
        data = PolicySerializer(data=request.data)
        if not data.is_valid():
            messages: dict[str, list[str]] = {}
            for field, message in flatten_errors(data.errors):
                messages.setdefault(field, []).append(message)
            return _policy_refused({field: " ".join(texts) for field, texts in messages.items()})
        changes: dict[str, Any] = dict(data.validated_data)
        note = changes.pop("note", "")
        try:
            policy = services.update_policy(
                community=community, changes=changes, by=None, note=note
            )
        except services.PolicyError as exc:
            return _policy_refused(exc.errors)
        return Response(PolicySerializer(policy.as_dict()).data)


def _policy_refused(errors: dict[str, str]) -> Response:
    """The policy's own error shape: one message per field, as the policy editor shows them."""
    return Response(
        {"detail": "The policy was not saved.", "errors": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )
