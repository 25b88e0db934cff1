"""REST API for postmortems and action items. Reads need ``read``; writes need ``moderate``.
Objects are fetched through the same access helpers as the pages, writes call the same
services. A service's refusal becomes 400 (409 when the object moved) in
``community.api_errors``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.access import CommunityAccess, get_membership
from community.api_auth import access_of
from community.contract.access import get_clause, get_version
from community.serializers import ErrorSerializer
from incidents.access import get_incident, get_runbook
from incidents.postmortems import services
from incidents.postmortems.access import (
    get_action_item,
    get_postmortem,
    visible_action_items,
    visible_postmortems,
)
from incidents.postmortems.reading import with_parts
from incidents.postmortems.serializers import (
    ActionItemInSerializer,
    ActionItemOutSerializer,
    ActionStatusInSerializer,
    CreateInSerializer,
    PostmortemDetailSerializer,
    PostmortemOutSerializer,
    SectionInSerializer,
    SectionOutSerializer,
    SettingsInSerializer,
    SettingsOutSerializer,
    StateInSerializer,
)
from incidents.postmortems.services import ItemFields

WRITE = {"GET": "read", "*": "moderate"}
TAGS = ["postmortems"]


def _detail(access: CommunityAccess, pk: int, code: int = 200) -> Response:
    doc = get_postmortem(access, pk)
    return Response(PostmortemDetailSerializer(with_parts(doc)).data, status=code)


UNKNOWN_MEMBER = gettext_lazy("Unknown member for this community.")
UNKNOWN_VERSION = gettext_lazy("Unknown contract version for this community.")
UNKNOWN_RUNBOOK = gettext_lazy("Unknown runbook for this community.")
UNKNOWN_CLAUSE = gettext_lazy("Unknown clause for this community.")


class BadReference(Exception):
    pass


def _ref(fetch: Any, access: CommunityAccess, value: Any, unknown: Promise) -> Any:
    if value is None:
        return None
    try:
        return fetch(access, value)
    except Http404 as exc:
        raise BadReference(str(unknown)) from exc


class PostmortemListView(APIView):
    """List postmortems (newest first), or start one for a resolved incident."""

    required_scope = WRITE

    @extend_schema(
        operation_id="postmortems_list", responses=PostmortemOutSerializer(many=True), tags=TAGS
    )
    def get(self, request: Request) -> Response:
        docs = visible_postmortems(access_of(request))[:200]
        return Response(PostmortemOutSerializer(docs, many=True).data)

    @extend_schema(
        operation_id="postmortems_create",
        request=CreateInSerializer,
        responses={201: PostmortemDetailSerializer, 400: ErrorSerializer},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        access = access_of(request)
        access.require_moderator()
        data_in = CreateInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        try:
            incident = get_incident(access, data_in.validated_data["incident_id"], write=True)
        except Http404:
            return Response({"detail": _("Unknown incident for this community.")}, status=400)
        doc = services.start_postmortem(incident=incident, by=None)
        return _detail(access, doc.pk, 201)


class PostmortemDetailView(APIView):
    required_scope = "read"

    @extend_schema(
        operation_id="postmortems_retrieve", responses=PostmortemDetailSerializer, tags=TAGS
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail(access_of(request), pk)


class SectionView(APIView):
    """Update one section (send the section's version you edited)."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="postmortems_section_update",
        request=SectionInSerializer,
        responses={200: SectionOutSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        parameters=[OpenApiParameter("key", str, OpenApiParameter.PATH)],
        tags=TAGS,
    )
    def put(self, request: Request, pk: int, key: str) -> Response:
        access = access_of(request)
        doc = get_postmortem(access, pk, write=True)
        data_in = SectionInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        section = services.save_section(
            postmortem=doc,
            key=key,
            body=data_in.validated_data["body"],
            expected_version=data_in.validated_data["version"],
            by=None,
        )
        return Response(SectionOutSerializer(section).data)


class _StateAction(APIView):
    required_scope = "moderate"
    service: Any = None

    def post(self, request: Request, pk: int) -> Response:
        access = access_of(request)
        doc = get_postmortem(access, pk, write=True)
        data_in = StateInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        type(self).service(
            postmortem=doc, expected_version=data_in.validated_data["version"], by=None
        )
        return _detail(access, pk)


class ReviewView(_StateAction):
    """Send a draft for review (the blameless check must have nothing left open)."""

    service = staticmethod(services.request_review)

    @extend_schema(
        operation_id="postmortems_review",
        request=StateInSerializer,
        responses={200: PostmortemDetailSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class PublishView(_StateAction):
    """Publish a postmortem in review (it needs a guardrail action item with a verification
    criterion)."""

    service = staticmethod(services.publish_postmortem)

    @extend_schema(
        operation_id="postmortems_publish",
        request=StateInSerializer,
        responses={200: PostmortemDetailSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        examples=[OpenApiExample("Publish", value={"version": 3}, request_only=True)],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


def _item_fields(access: CommunityAccess, data: dict[str, Any]) -> ItemFields:
    return ItemFields(
        title=data["title"],
        kind=data["kind"],
        owner=_ref(get_membership, access, data["owner_id"], UNKNOWN_MEMBER),
        due_on=data["due_on"],
        verification_criterion=data["verification_criterion"],
        changes=data["changes"],
        contract_version=_ref(get_version, access, data["contract_version"], UNKNOWN_VERSION),
        runbook=_ref(get_runbook, access, data["runbook_id"], UNKNOWN_RUNBOOK),
        alert_rule=data["alert_rule"].strip(),
        verify_clause=_ref(get_clause, access, data["verify_clause_id"], UNKNOWN_CLAUSE),
        verify_target=data["verify_target"],
        verify_window_days=data["verify_window_days"],
    )


class PostmortemItemsView(APIView):
    """Add an action item to a postmortem."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="postmortems_action_items_create",
        request=ActionItemInSerializer,
        responses={201: ActionItemOutSerializer, 400: ErrorSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        access = access_of(request)
        doc = get_postmortem(access, pk, write=True)
        data_in = ActionItemInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        try:
            fields = _item_fields(access, data_in.validated_data)
        except BadReference as exc:
            return Response({"detail": str(exc)}, status=400)
        item = services.add_action_item(postmortem=doc, fields=fields, by=None)
        return Response(ActionItemOutSerializer(item).data, status=201)


class ActionItemListView(APIView):
    """The community's action items (``?status=open`` and so on to filter)."""

    required_scope = "read"

    @extend_schema(
        operation_id="action_items_list",
        responses=ActionItemOutSerializer(many=True),
        parameters=[OpenApiParameter("status", str, required=False)],
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        items = visible_action_items(access_of(request)).order_by("due_on", "pk")
        status = request.query_params.get("status")
        if status:
            items = items.filter(status=status)
        return Response(ActionItemOutSerializer(items[:500], many=True).data)


class ActionItemDetailView(APIView):
    required_scope = "read"

    @extend_schema(
        operation_id="action_items_retrieve", responses=ActionItemOutSerializer, tags=TAGS
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ActionItemOutSerializer(get_action_item(access_of(request), pk)).data)


class ActionItemStatusView(APIView):
    """Change an action item's status, so a tracker can mark it done."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="action_items_status",
        request=ActionStatusInSerializer,
        responses={200: ActionItemOutSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        examples=[
            OpenApiExample("Done", value={"status": "done", "version": 1}, request_only=True)
        ],
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        access = access_of(request)
        item = get_action_item(access, pk, write=True)
        data_in = ActionStatusInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        item = services.set_status(
            item=item,
            status=data_in.validated_data["status"],
            expected_version=data_in.validated_data["version"],
            by=None,
        )
        return Response(ActionItemOutSerializer(item).data)


class SettingsView(APIView):
    """The community's postmortem settings: when one is due, how often reminders repeat, when
    every moderator is reminded, and the public summary's objection window. A change applies
    to postmortems started from then on."""

    required_scope = WRITE

    @extend_schema(
        operation_id="postmortem_settings_retrieve", responses=SettingsOutSerializer, tags=TAGS
    )
    def get(self, request: Request) -> Response:
        access = access_of(request)
        if not access.sees_member_records:
            raise PermissionDenied("Only this community's moderators read these settings.")
        return Response(SettingsOutSerializer(services.settings_for(access.community)).data)

    @extend_schema(
        operation_id="postmortem_settings_update",
        request=SettingsInSerializer,
        responses={200: SettingsOutSerializer, 400: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Due in three days",
                value={
                    "due_hours": 72,
                    "reminder_every_hours": 24,
                    "escalate_after_hours": 24,
                    "objection_window_days": 7,
                },
            )
        ],
        tags=TAGS,
    )
    def put(self, request: Request) -> Response:
        access = access_of(request)
        access.require_moderator("Only this community's moderators change these settings.")
        data_in = SettingsInSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        found = services.update_settings(community=access.community, **data_in.validated_data)
        return Response(SettingsOutSerializer(found).data)
