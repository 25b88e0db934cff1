"""API for any forum or bot: upsert member identities and spaces, list spaces."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api_auth import access_of, community_of
from community.models import Space
from community.services import upsert_identities, upsert_spaces
from integrations.serializers import (
    IdentityBatchInSerializer,
    IdentityBatchOutSerializer,
    SpaceBatchInSerializer,
    SpaceSerializer,
)


class IdentityUpsertView(APIView):
    """Tell us about forum accounts before (or besides) their events. Idempotent on
    (source, external_id): an account seen again keeps its membership; a new username updates
    it. Members seen only on the forum have no login until they claim their identity."""

    required_scope = "events:write"

    @extend_schema(
        operation_id="identities_upsert",
        request=IdentityBatchInSerializer,
        responses={200: IdentityBatchOutSerializer},
        examples=[
            OpenApiExample(
                "Two forum accounts",
                request_only=True,
                value={
                    "source": "discourse",
                    "identities": [
                        {"external_id": "2288", "username": "rileyq"},
                        {"external_id": "2301", "username": "sam_oak"},
                    ],
                },
            ),
            OpenApiExample(
                "Result",
                response_only=True,
                value={
                    "source": "discourse",
                    "identities": [
                        {
                            "external_id": "2288",
                            "username": "rileyq",
                            "membership_id": 41,
                            "display_name": "rileyq",
                            "claimed": False,
                        }
                    ],
                },
            ),
        ],
        tags=["identities"],
    )
    def post(self, request: Request) -> Response:
        data = IdentityBatchInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = data.validated_data["source"]
        wanted = {i["external_id"]: i["username"] for i in data.validated_data["identities"]}
        members = upsert_identities(
            community=community_of(request), source=source, identities=wanted
        )
        out = [
            {
                "external_id": ext_id,
                "username": wanted[ext_id],
                "membership_id": members[ext_id].pk,
                "display_name": members[ext_id].display_name,
                "claimed": members[ext_id].user_id is not None,
            }
            for ext_id in wanted
        ]
        return Response({"source": source, "identities": out})


class SpaceListView(generics.ListAPIView[Space]):
    """The community's spaces (categories, topics, channels), and a way to declare them.

    ``POST`` upserts spaces by (source, external_id) and answers with the stored rows. A topic on
    Discourse is ``{"source": "discourse", "external_id": "topic:<id>", "kind": "topic"}``; a
    cooldown on such a space is applied on the forum."""

    serializer_class = SpaceSerializer
    required_scope = {"GET": "read", "POST": "events:write"}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return access_of(self.request).community.spaces.order_by("pk")

    @extend_schema(operation_id="spaces_list", tags=["spaces"])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="spaces_upsert",
        request=SpaceBatchInSerializer,
        responses={200: SpaceSerializer(many=True)},
        examples=[
            OpenApiExample(
                "A category and a topic",
                request_only=True,
                value={
                    "source": "discourse",
                    "spaces": [
                        {"external_id": "category:5", "name": "Proposals", "kind": "category"},
                        {"external_id": "topic:90412", "name": "Shared shed rota", "kind": "topic"},
                    ],
                },
            )
        ],
        tags=["spaces"],
    )
    def post(self, request: Request) -> Response:
        data = SpaceBatchInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = {s["external_id"]: (s["name"], s["kind"]) for s in data.validated_data["spaces"]}
        found = upsert_spaces(
            community=community_of(request),
            source=data.validated_data["source"],
            spaces=wanted,
        )
        rows = [found[ext_id] for ext_id in wanted]
        return Response(SpaceSerializer(rows, many=True).data, status=status.HTTP_200_OK)
