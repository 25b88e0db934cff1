"""REST API of the spine: batch event ingest."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api_auth import community_of
from community.serializers import (
    BatchErrorSerializer,
    EventBatchInSerializer,
    EventBatchOutSerializer,
    EventInSerializer,
    flatten_errors,
)
from community.services import ingest_events

_EXAMPLE = {
    "events": [
        {
            "external_id": "p-90412",
            "kind": "post",
            "occurred_at": "2026-11-20T10:00:00Z",
            "member": {"external_id": "2288", "username": "rileyq"},
            "space": {"external_id": "5", "name": "Proposals"},
            "subject": "p-90412",
            "category": "",
            "severity": "",
        }
    ]
}


class EventBatchView(APIView):
    """Send conduct events in batches. Idempotent on (source, external_id): a retried batch is
    safe. A batch with any invalid item is rejected whole and stores nothing."""

    required_scope = "events:write"

    @extend_schema(
        operation_id="events_ingest",
        request=EventBatchInSerializer,
        responses={200: EventBatchOutSerializer, 400: BatchErrorSerializer},
        examples=[OpenApiExample("One post", value=_EXAMPLE, request_only=True)],
        tags=["events"],
    )
    def post(self, request: Request) -> Response:
        batch = EventBatchInSerializer(data=request.data)
        if not batch.is_valid():
            errors: list[dict[str, object]] = [
                {"index": None, "external_id": "", "field": field, "message": message}
                for field, message in flatten_errors(batch.errors)
            ]
            return _rejected(errors)
        items = []
        errors = []
        for index, raw in enumerate(batch.validated_data["events"]):
            item = EventInSerializer(data=raw)
            if item.is_valid():
                items.append(item.to_event_input(item.validated_data))
                continue
            external_id = str(raw.get("external_id", ""))[:200] if isinstance(raw, dict) else ""
            errors.extend(
                {"index": index, "external_id": external_id, "field": field, "message": message}
                for field, message in flatten_errors(item.errors)
            )
        if errors:
            return _rejected(errors)
        result = ingest_events(
            community=community_of(request), events=items, source=batch.validated_data["source"]
        )
        return Response({"accepted": result.accepted, "duplicates": result.duplicates})


def _rejected(errors: list[dict[str, object]]) -> Response:
    return Response(
        {"detail": "The batch was rejected; nothing was stored.", "errors": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )
