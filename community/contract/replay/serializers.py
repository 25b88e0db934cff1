"""Input and output of the replays API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from community.contract.serializers import DefinitionSerializer
from community.serializers import id_field


class ReplayInSerializer(serializers.Serializer[dict[str, Any]]):
    clause = DefinitionSerializer(required=False, help_text="A clause body, as for creating one.")
    clause_id = id_field(required=False, help_text="An existing clause, replayed as it stands.")
    from_ = serializers.DateTimeField(required=False, help_text="Start (default: 30 days ago).")
    to = serializers.DateTimeField(required=False, help_text="End (default: now).")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("clause" in attrs) == ("clause_id" in attrs):
            raise serializers.ValidationError(
                {"clause": "Give either a clause body or a clause_id."}
            )
        return attrs


class ReplayAlertSerializer(serializers.Serializer[dict[str, Any]]):
    rule = serializers.CharField()
    severity = serializers.CharField()
    scope = serializers.CharField(help_text="A space id, or empty for the whole community.")
    fired_at = serializers.DateTimeField()
    cleared_at = serializers.DateTimeField(allow_null=True)
    burn_rate_long = serializers.CharField()
    burn_rate_short = serializers.CharField()
    bad_long = serializers.IntegerField()
    total_long = serializers.IntegerField()


class ReplayOutSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    url = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    clause_id = serializers.IntegerField(allow_null=True)
    definition = serializers.DictField()
    from_ = serializers.DateTimeField()
    to = serializers.DateTimeField()
    events = serializers.IntegerField(allow_null=True)
    alerts = ReplayAlertSerializer(many=True)
    live_alerts = ReplayAlertSerializer(many=True, allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields
