"""REST API of the spine: batch event ingest."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api_auth import community_of
from community.fast_events import plain_event_data
from community.json_safety import printable
from community.serializers import (
    BatchErrorSerializer,
    EventBatchInSerializer,
    EventBatchOutSerializer,
    EventInSerializer,
    flatten_errors,
    to_event_input,
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
        raw_events = batch.validated_data["events"]
        plain = [plain_event_data(raw) for raw in raw_events]
        if all(data is not None for data in plain):
            return self._ingest(request, batch.validated_data["source"], plain)
        # Something is unusual: the serializer decides, and words any errors. One list serializer
        # reuses its field instances; a serializer per item costs about six times as much.
        items = EventInSerializer(data=raw_events, many=True)
        if items.is_valid():
            return self._ingest(request, batch.validated_data["source"], items.validated_data)
        item_errors: list[dict[str, object]] = [
            {
                "index": index,
                "external_id": _echo_external_id(raw_events[index]),
                "field": field,
                "message": message,
            }
            for index, errors_of_item in _errors_by_index(items.errors)
            for field, message in flatten_errors(errors_of_item)
        ]
        return _rejected(item_errors)

    def _ingest(self, request: Request, source: str, items: list[Any]) -> Response:
        events = [to_event_input(data) for data in items]
        result = ingest_events(
            community=community_of(request), events=events, source=source, imported=True
        )
        return Response({"accepted": result.accepted, "duplicates": result.duplicates})


def _echo_external_id(raw: Any) -> str:
    """The item's external id as it may be shown back: a string, cut short, storable."""
    value = raw.get("external_id", "") if isinstance(raw, dict) else ""
    return printable(str(value))


def _errors_by_index(errors: Any) -> list[tuple[int, Any]]:
    """A list serializer's errors as (index, errors) pairs, only for the items that failed.
    DRF 3.18 reports them as a mapping from index; older releases as a list with empty dicts."""
    pairs = errors.items() if isinstance(errors, dict) else enumerate(errors)
    return sorted(((int(index), item) for index, item in pairs if item), key=lambda pair: pair[0])


def _rejected(errors: list[dict[str, object]]) -> Response:
    return Response(
        {"detail": "The batch was rejected; nothing was stored.", "errors": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )
