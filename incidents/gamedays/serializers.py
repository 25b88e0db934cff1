"""Input and output serializers of the game days API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from community.serializers import id_field
from incidents.gamedays import scoring


class PeriodSerializer(serializers.Serializer[dict[str, object]]):
    """A past period of the community's history to record (at most 7 days)."""

    from_ = serializers.DateTimeField(help_text="Start of the period.")
    to = serializers.DateTimeField(help_text="End of the period (in the past).")
    space_id = id_field(required=False, help_text="Only this space (default: everywhere).")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class GameDayStartSerializer(serializers.Serializer[dict[str, object]]):
    recording = serializers.CharField(
        max_length=40,
        required=False,
        help_text="`sample:<key>` (see `game-days/recordings/`) or `incident:<id>` of a "
        "resolved incident of this community. Give this or `period`.",
    )
    period = PeriodSerializer(
        required=False, help_text="Record a past period of this community's history instead."
    )
    runbook_id = id_field(help_text="An active runbook of this community.")
    speed = serializers.ChoiceField(
        choices=[(s, f"{s} times") for s in scoring.SPEEDS],
        default=60,
        help_text="How many times faster than it happened.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("recording" in attrs) == ("period" in attrs):
            raise serializers.ValidationError(
                {"recording": "Give either a recording or a period of this community's history."}
            )
        return attrs


class GameDayReportSerializer(serializers.Serializer[dict[str, object]]):
    incident_declared = serializers.BooleanField(
        help_text="Whether the rehearsal's war room opened."
    )
    minutes_to_facilitator = serializers.FloatField(allow_null=True)
    minutes_to_cooldown = serializers.FloatField(allow_null=True)
    steps_done = serializers.IntegerField()
    steps_skipped = serializers.ListField(child=serializers.CharField())
    steps_late = serializers.ListField(child=serializers.CharField())
    steps_not_done = serializers.ListField(child=serializers.CharField())
    events_sent = serializers.IntegerField()
    final = serializers.BooleanField(help_text="False while the game day runs.")


class GameDaySerializer(serializers.Serializer[dict[str, object]]):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["running", "finished", "interrupted"])
    status_words = serializers.CharField()
    runbook = serializers.CharField()
    recording_kind = serializers.ChoiceField(choices=["sample", "incident", "period"])
    recording_title = serializers.CharField()
    speed = serializers.IntegerField()
    events_total = serializers.IntegerField()
    events_sent = serializers.IntegerField()
    progress = serializers.FloatField(help_text="Share of the recording played, 0 to 1.")
    started_at = serializers.DateTimeField()
    ends_around = serializers.DateTimeField()
    fed_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    stop_reason = serializers.CharField(allow_blank=True)
    sandbox_kept = serializers.BooleanField(
        help_text="False once the rehearsal copy was removed after the retention period."
    )
    sandbox_purged_at = serializers.DateTimeField(allow_null=True)
    report = GameDayReportSerializer()


class RecordingSerializer(serializers.Serializer[dict[str, object]]):
    recording = serializers.CharField(help_text="The value to start a game day with.")
    kind = serializers.ChoiceField(choices=["sample", "incident"])
    title = serializers.CharField()
