"""API shapes for incidents and cooldowns: explicit input serializers for writes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from community.serializers import id_field
from incidents.models import (
    Cooldown,
    CooldownMode,
    Incident,
    IncidentStatus,
    SevLevel,
    StepRun,
)
from incidents.services import MAX_SLOW_MODE_SECONDS

# An incident's version is a PositiveIntegerField.
MAX_VERSION = 2**31 - 1


def version_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_VERSION, **kwargs)


class SpaceOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class StepOutSerializer(serializers.ModelSerializer[StepRun]):
    runbook = serializers.CharField(source="run.runbook.name")
    status = serializers.CharField(
        help_text="pending, running, waiting (for its time), proposed (a lift waiting for the "
        "facilitator), done, skipped or failed"
    )

    class Meta:
        model = StepRun
        fields = ("id", "runbook", "position", "title", "kind", "status", "reason", "error")


class IncidentOutSerializer(serializers.ModelSerializer[Incident]):
    spaces = SpaceOutSerializer(many=True, read_only=True)
    facilitator = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = (
            "id",
            "title",
            "summary",
            "severity",
            "status",
            "detected_by",
            "spaces",
            "facilitator",
            "trigger_event_ids",
            "declared_at",
            "mitigating_at",
            "monitoring_at",
            "resolved_at",
            "closed_at",
            "facilitator_at",
            "first_cooldown_at",
            "cost_bad_events",
            "postmortem_required",
            "version",
        )

    def get_facilitator(self, obj: Incident) -> str | None:
        role = next(
            (r for r in obj.roles.all() if r.kind == "facilitator" and not r.ended_at), None
        )
        return role.membership.display_name if role else None


class IncidentDetailSerializer(IncidentOutSerializer):
    steps = serializers.SerializerMethodField()

    class Meta(IncidentOutSerializer.Meta):
        fields = (*IncidentOutSerializer.Meta.fields, "steps")  # type: ignore[assignment]

    @extend_schema_field(StepOutSerializer(many=True))
    def get_steps(self, obj: Incident) -> list[dict[str, Any]]:
        steps = StepRun.objects.filter(run__incident=obj).select_related("run__runbook")
        return list(StepOutSerializer(steps.order_by("run_id", "position"), many=True).data)


class DeclareInSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=SevLevel.choices)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    space_ids = serializers.ListField(child=id_field(), required=False, default=list)
    party_ids = serializers.ListField(
        child=id_field(),
        required=False,
        default=list,
        help_text="Membership ids of the members involved (parties, never culprits).",
    )


class UpdateInSerializer(serializers.Serializer[Any]):
    version = version_field(help_text="The version you last read; 409 if it moved.")
    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=SevLevel.choices, required=False)
    status = serializers.ChoiceField(
        choices=IncidentStatus.choices,
        required=False,
        help_text="Move along the lifecycle; out-of-order moves are refused.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class StepActionInSerializer(serializers.Serializer[Any]):
    version = version_field()
    action = serializers.ChoiceField(choices=["run", "skip"], default="run")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class StartRunbookInSerializer(serializers.Serializer[Any]):
    version = version_field()
    runbook_id = id_field()


class CooldownOutSerializer(serializers.ModelSerializer[Cooldown]):
    space = SpaceOutSerializer(read_only=True)

    class Meta:
        model = Cooldown
        fields = (
            "id",
            "incident",
            "space",
            "mode",
            "slow_mode_seconds",
            "starts_at",
            "ends_at",
            "ended_at",
            "end_reason",
            "lift_reason",
        )


class CooldownInSerializer(serializers.Serializer[Any]):
    space_id = id_field()
    mode = serializers.ChoiceField(choices=CooldownMode.choices)
    slow_mode_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_SLOW_MODE_SECONDS,
        help_text="Required for slow mode.",
    )
    ends_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Required: every cooldown ends."
    )
    incident_id = id_field(required=False, allow_null=True, default=None)
    version = version_field(
        required=False, allow_null=True, default=None, help_text="The incident's version."
    )


class ExtendInSerializer(serializers.Serializer[Any]):
    ends_at = serializers.DateTimeField()


class LiftInSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField()
