"""API input/output shapes for the spine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from community.json_safety import json_problem
from community.models import SpaceKind
from community.services import EventInput
from community.vocabulary import FRICTION_KINDS, EventKind, Severity

# Ids are PostgreSQL bigints: a larger number names nothing, and is refused as input (a 400
# naming the field) before any query could fail on it.
MAX_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An input field holding the id of one of our objects."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class MemberRefSerializer(serializers.Serializer[dict[str, Any]]):
    external_id = serializers.CharField(max_length=100)
    username = serializers.CharField(max_length=150, required=False, allow_blank=True)


class SpaceRefSerializer(serializers.Serializer[dict[str, Any]]):
    external_id = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=SpaceKind.choices, required=False)


class EventInSerializer(serializers.Serializer[dict[str, Any]]):
    external_id = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=EventKind.choices)
    occurred_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField(
        required=False,
        help_text="When the community learned of it (imported history, such as when a flag was "
        "upheld); defaults to the time of receipt. Never in the future, never before "
        "occurred_at.",
    )
    member = MemberRefSerializer(required=False, allow_null=True)
    space = SpaceRefSerializer(required=False, allow_null=True)
    subject = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(
        choices=[("", "(community default)"), *Severity.choices], required=False, default=""
    )
    payload = serializers.DictField(required=False, default=dict)

    def validate_payload(self, value: dict[str, Any]) -> dict[str, Any]:
        problem = json_problem(value)
        if problem:
            raise serializers.ValidationError(f"The payload {problem}.")
        return value

    def validate_recorded_at(self, value: datetime) -> datetime:
        if value > timezone.now():
            raise serializers.ValidationError("recorded_at cannot be in the future.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        recorded = attrs.get("recorded_at")
        if recorded is not None and recorded < attrs["occurred_at"]:
            raise serializers.ValidationError(
                {"recorded_at": "recorded_at cannot be before occurred_at."}
            )
        if attrs["kind"] in FRICTION_KINDS and not attrs.get("member"):
            raise serializers.ValidationError(
                {"member": "A friction event must name the member it is about."}
            )
        return attrs


@extend_schema_field(
    serializers.ListSerializer(
        child=EventInSerializer(), allow_empty=False, max_length=settings.EVENTS_BATCH_MAX
    )
)
class EventItemsField(serializers.ListField):
    """The batch's items, read as plain dicts: the view checks each one, with a fast path for
    the plain ones (see ``community.fast_events``). The schema declares their real shape."""


class EventBatchInSerializer(serializers.Serializer[dict[str, Any]]):
    source = serializers.SlugField(max_length=40, required=False, default="api")  # type: ignore[assignment]
    events = EventItemsField(
        child=serializers.DictField(),
        allow_empty=False,
        max_length=settings.EVENTS_BATCH_MAX,
        help_text=f"Up to {settings.EVENTS_BATCH_MAX} events, stored all or none.",
    )


class EventBatchOutSerializer(serializers.Serializer[dict[str, Any]]):
    accepted = serializers.IntegerField(help_text="Events stored by this request.")
    duplicates = serializers.IntegerField(
        help_text="Events already stored earlier (or repeated in this batch); not stored again."
    )


class FieldErrorSerializer(serializers.Serializer[dict[str, Any]]):
    field = serializers.CharField(help_text="The field, dotted into nested input: `spaces.0.name`.")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer[dict[str, Any]]):
    """Every error the API answers: what went wrong, in words; a request that was not valid also
    names each field (``errors``)."""

    detail = serializers.CharField()
    errors = FieldErrorSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="Only when fields were not valid: one per problem."
    )


class ItemErrorSerializer(serializers.Serializer[dict[str, Any]]):
    index = serializers.IntegerField(
        allow_null=True, help_text="The item's position in the batch; null for the batch itself."
    )
    external_id = serializers.CharField(allow_blank=True)
    field = serializers.CharField()
    message = serializers.CharField()


class BatchErrorSerializer(serializers.Serializer[dict[str, Any]]):
    """A rejected batch: every bad item, by position (or a plain ``detail`` when the body could
    not be read at all)."""

    detail = serializers.CharField()
    errors = ItemErrorSerializer(many=True, required=False)  # type: ignore[assignment]


def validation_error_body(errors: Any) -> dict[str, Any]:
    """A DRF validation error (nested dicts and lists) as the API's one error shape."""
    return {
        "detail": "The request was not valid; nothing was changed.",
        "errors": [{"field": f, "message": m} for f, m in flatten_errors(errors)],
    }


def flatten_errors(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
    """DRF's nested error dicts as (dotted field, message) pairs."""
    if isinstance(errors, dict):
        pairs: list[tuple[str, str]] = []
        for key, value in errors.items():
            name = key if key != "non_field_errors" else "(item)"
            pairs.extend(flatten_errors(value, f"{prefix}.{name}" if prefix else name))
        return pairs
    if isinstance(errors, list):
        return [pair for item in errors for pair in flatten_errors(item, prefix)]
    return [(prefix or "(item)", str(errors))]


def to_event_input(data: dict[str, Any]) -> EventInput:
    """A validated EventIn item as the spine's ingest input."""
    member = data.get("member") or {}
    space = data.get("space") or {}
    return EventInput(
        external_id=data["external_id"],
        kind=data["kind"],
        occurred_at=data["occurred_at"],
        recorded_at=data.get("recorded_at"),
        member_external_id=member.get("external_id", ""),
        member_username=member.get("username", ""),
        space_external_id=space.get("external_id", ""),
        space_name=space.get("name", ""),
        space_kind=space.get("kind", SpaceKind.CATEGORY),
        subject=data.get("subject") or "",
        category=data.get("category") or "",
        severity=data.get("severity") or "",
        payload=data.get("payload") or {},
    )
