"""REST API for the circle: participants, agreements (mark kept / not kept, withdraw, revise)
and forgiveness as an explicit action. Reads need ``read``; writes need ``moderate``. Objects
are fetched through the same access helpers as the pages (``circle.access``) and writes call
the same services; a service's refusal becomes 400 in ``community.api_errors``."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.access import get_memberships
from community.api_auth import access_of
from community.serializers import ErrorSerializer
from incidents.postmortems.circle import services
from incidents.postmortems.circle.access import (
    circle_participants,
    get_agreement,
    get_circle,
    get_harm,
    get_participant,
    get_participant_by_id,
    visible_agreements,
)
from incidents.postmortems.circle.serializers import (
    AgreementInSerializer,
    AgreementOutSerializer,
    CircleForgivenessOutSerializer,
    DecideInSerializer,
    InviteInSerializer,
    ParticipantOutSerializer,
    ReviseInSerializer,
    WithdrawInSerializer,
)
from incidents.postmortems.models import AgreementConsent, AgreementStatus

WRITE = {"GET": "read", "*": "moderate"}
TAGS = ["circle"]
CONSENTS = Prefetch("consents", queryset=AgreementConsent.objects.order_by("pk"))


class ParticipantListView(APIView):
    """The circle of a postmortem: who is invited, in which role, and their answer."""

    required_scope = WRITE

    @extend_schema(
        operation_id="participants_list",
        responses=ParticipantOutSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request, pk: int) -> Response:
        rows = circle_participants(get_circle(access_of(request), pk))
        return Response(ParticipantOutSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="participants_invite",
        request=InviteInSerializer,
        responses={201: ParticipantOutSerializer, 400: ErrorSerializer},
        examples=[OpenApiExample("Invite", value={"member_id": 7, "role": "harmed"})],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        access = access_of(request)
        seat = get_circle(access, pk, manage=True)
        data_in = InviteInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        found = get_memberships(access, [data_in.validated_data["member_id"]])
        if not found:
            return Response({"detail": "Unknown member id for this community."}, status=400)
        participant = services.invite_participant(
            postmortem=seat.postmortem,
            membership=found[0],
            role=data_in.validated_data["role"],
            by=None,
        )
        return Response(ParticipantOutSerializer(participant).data, status=201)


class PostmortemAgreementsView(APIView):
    """Add an agreement to a postmortem's circle (owner and due date are required)."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="agreements_create",
        request=AgreementInSerializer,
        responses={201: AgreementOutSerializer, 400: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Agree",
                value={
                    "text": "Post a note of apology in the thread",
                    "owner_id": 3,
                    "due_on": "2026-12-24",
                },
            )
        ],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        access = access_of(request)
        seat = get_circle(access, pk, manage=True)
        data_in = AgreementInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        agreement = services.add_agreement(
            postmortem=seat.postmortem,
            text=data["text"],
            owner=get_participant(seat, data.get("owner_id")),
            due_on=data.get("due_on"),
            harm=get_harm(seat, data.get("harm_id")),
            by=None,
        )
        return Response(
            AgreementOutSerializer(get_agreement(access, agreement.pk)).data, status=201
        )


class AgreementListView(APIView):
    required_scope = "read"

    @extend_schema(
        operation_id="agreements_list",
        parameters=[
            OpenApiParameter(
                "status", str, enum=AgreementStatus.values, description="Only this status."
            )
        ],
        responses=AgreementOutSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        """The community's agreements, soonest due first."""
        rows = visible_agreements(access_of(request)).prefetch_related(CONSENTS)
        status = request.query_params.get("status")
        if status:
            if status not in AgreementStatus.values:
                return Response({"detail": "Status is open, kept or not_kept."}, status=400)
            rows = rows.filter(status=status)
        return Response(AgreementOutSerializer(rows.order_by("due_on", "pk")[:500], many=True).data)


class AgreementDetailView(APIView):
    required_scope = "read"

    @extend_schema(operation_id="agreements_retrieve", responses=AgreementOutSerializer, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return Response(AgreementOutSerializer(get_agreement(access_of(request), pk)).data)


class AgreementDecideView(APIView):
    """Mark an open agreement kept (every party must have agreed) or not kept."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="agreements_decide",
        request=DecideInSerializer,
        responses={200: AgreementOutSerializer, 400: ErrorSerializer},
        examples=[OpenApiExample("Kept", value={"outcome": "kept", "note": "Posted on 3 Dec"})],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        access = access_of(request)
        agreement = get_agreement(access, pk, manage=True)
        data_in = DecideInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        services.decide_agreement(
            agreement=agreement,
            kept=data_in.validated_data["outcome"] == "kept",
            note=data_in.validated_data["note"],
            by=None,
        )
        return Response(AgreementOutSerializer(get_agreement(access, pk)).data)


class AgreementWithdrawView(APIView):
    """Withdraw an open agreement (one a party did not agree to, say), with the reason: it
    stays in the record, withdrawn, and no longer holds forgiveness back."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="agreements_withdraw",
        request=WithdrawInSerializer,
        responses={200: AgreementOutSerializer, 400: ErrorSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        access = access_of(request)
        agreement = get_agreement(access, pk, facilitate=True)
        data_in = WithdrawInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        services.withdraw_agreement(
            agreement=agreement, reason=data_in.validated_data["reason"], by=None
        )
        return Response(AgreementOutSerializer(get_agreement(access, pk)).data)


class AgreementReviseView(APIView):
    """Revise an open agreement: the new wording is a new agreement every party is asked
    about again; the earlier one stays, withdrawn, pointing at it (``revised_by_id``)."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="agreements_revise",
        request=ReviseInSerializer,
        responses={201: AgreementOutSerializer, 400: ErrorSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        access = access_of(request)
        agreement = get_agreement(access, pk, facilitate=True)
        data_in = ReviseInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        seat = get_circle(access, agreement.postmortem_id)
        revision = services.revise_agreement(
            agreement=agreement,
            text=data["text"],
            owner=get_participant(seat, data.get("owner_id")),
            due_on=data.get("due_on"),
            by=None,
        )
        return Response(AgreementOutSerializer(get_agreement(access, revision.pk)).data, status=201)


class ParticipantForgiveView(APIView):
    """Forgive the charges related to the incident of a responsible participant whose
    agreements were all kept: one ledger entry per charge (the charges are never edited), and
    the member's budget recovers."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="participants_forgive",
        request=None,
        responses={201: CircleForgivenessOutSerializer, 400: ErrorSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        participant = get_participant_by_id(access_of(request), pk, manage=True)
        forgiveness = services.forgive_participant(participant=participant, by=None)
        return Response(CircleForgivenessOutSerializer(forgiveness).data, status=201)
