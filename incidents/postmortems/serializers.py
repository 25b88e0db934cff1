"""API shapes for postmortems and action items: explicit input serializers for writes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from community.serializers import id_field
from incidents.postmortems.models import (
    ActionItem,
    ActionKind,
    BlamelessFinding,
    Postmortem,
    PostmortemSection,
    PostmortemSettings,
)
from incidents.postmortems.sections import SECTION_BY_KEY, SECTION_KEYS
from incidents.postmortems.services.action_items import MAX_WINDOW_DAYS
from incidents.postmortems.services.document import MAX_SECTION_LENGTH, section_refusal
from incidents.serializers import version_field


class SectionOutSerializer(serializers.ModelSerializer[PostmortemSection]):
    heading = serializers.SerializerMethodField()
    editable = serializers.SerializerMethodField(
        help_text="Whether the section's words may still change: a published postmortem keeps "
        "its words, except the public summary until it is published itself."
    )

    class Meta:
        model = PostmortemSection
        fields = ("key", "heading", "body", "version", "updated_at", "editable")

    def get_heading(self, obj: PostmortemSection) -> str:
        return SECTION_BY_KEY[obj.key].heading

    def get_editable(self, obj: PostmortemSection) -> bool:
        return section_refusal(obj.postmortem, obj.key) is None


class FindingOutSerializer(serializers.ModelSerializer[BlamelessFinding]):
    class Meta:
        model = BlamelessFinding
        fields = ("id", "section_key", "kind", "excerpt", "suggestion", "status", "acknowledgement")


class ActionItemOutSerializer(serializers.ModelSerializer[ActionItem]):
    owner_id = serializers.IntegerField()
    postmortem_id = serializers.IntegerField()
    contract_version = serializers.IntegerField(
        source="contract_version.number", allow_null=True, default=None
    )
    runbook_id = serializers.IntegerField(allow_null=True)
    verify_clause_id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(
        help_text="open, done, verifying (its clause is being watched over the window), "
        "verified, or reopened"
    )

    class Meta:
        model = ActionItem
        fields = (
            "id",
            "postmortem_id",
            "title",
            "kind",
            "owner_id",
            "due_on",
            "verification_criterion",
            "changes",
            "contract_version",
            "runbook_id",
            "alert_rule",
            "verify_clause_id",
            "verify_target",
            "verify_window_days",
            "status",
            "done_at",
            "verification_started_at",
            "verification_ends_at",
            "verified_at",
            "reopened_at",
            "last_sli",
            "version",
        )


class PostmortemOutSerializer(serializers.ModelSerializer[Postmortem]):
    incident_id = serializers.IntegerField()

    class Meta:
        model = Postmortem
        fields: tuple[str, ...] = (
            "id",
            "incident_id",
            "state",
            "visibility",
            "due_at",
            "created_at",
            "published_at",
            "public_summary_state",
            "version",
        )


class PostmortemDetailSerializer(PostmortemOutSerializer):
    sections = SectionOutSerializer(many=True, read_only=True)
    action_items = ActionItemOutSerializer(many=True, read_only=True)
    blameless_findings = FindingOutSerializer(many=True, read_only=True)
    figures = serializers.DictField(child=serializers.JSONField(), read_only=True)

    class Meta(PostmortemOutSerializer.Meta):
        fields = (
            *PostmortemOutSerializer.Meta.fields,
            "figures",
            "sections",
            "action_items",
            "blameless_findings",
        )


class PublicSummarySerializer(serializers.Serializer[Any]):
    """What a reader of the public summary only sees."""

    id = serializers.IntegerField()
    public_summary = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)


class CreateInSerializer(serializers.Serializer[Any]):
    incident_id = id_field(help_text="A resolved incident of this community without a postmortem.")


class SectionInSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(
        allow_blank=True, max_length=MAX_SECTION_LENGTH, trim_whitespace=False
    )
    version = version_field(help_text="The section's version you edited; 409 if it moved.")


class StateInSerializer(serializers.Serializer[Any]):
    version = version_field(help_text="The postmortem's version you last read; 409 if it moved.")


class ActionItemInSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    owner_id = id_field(help_text="Membership id of the owner.")
    due_on = serializers.DateField()
    verification_criterion = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    changes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    contract_version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Number of the contract version that made the change (clause or alert items).",
    )
    runbook_id = id_field(required=False, allow_null=True, default=None)
    alert_rule = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    verify_clause_id = id_field(required=False, allow_null=True, default=None)
    verify_target = serializers.DecimalField(
        max_digits=7,
        decimal_places=6,
        required=False,
        allow_null=True,
        default=None,
        help_text="A ratio in (0, 1): 0.98 is 98 %.",
    )
    verify_window_days = serializers.IntegerField(
        min_value=1, max_value=MAX_WINDOW_DAYS, required=False, allow_null=True, default=None
    )


# The statuses a person (or a tracker) may set; verifying and verified come from the indicator.
STATUS_CHANGES = [("done", "Done"), ("reopened", "Reopened")]


class ActionStatusInSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=STATUS_CHANGES,
        help_text="done (a guardrail with a verification then moves to verifying) or reopened",
    )
    version = version_field(help_text="The item's version you last read; 409 if it moved.")


SECTION_KEY_PATTERN = "|".join(SECTION_KEYS)


SETTINGS_FIELDS = (
    "due_hours",
    "reminder_every_hours",
    "escalate_after_hours",
    "objection_window_days",
)


class SettingsOutSerializer(serializers.ModelSerializer[PostmortemSettings]):
    class Meta:
        model = PostmortemSettings
        fields = SETTINGS_FIELDS


class SettingsInSerializer(serializers.Serializer[dict[str, Any]]):
    """Every setting, each a whole number within its bounds (``services.settings.BOUNDS``)."""

    due_hours = serializers.IntegerField(
        min_value=1, max_value=720, help_text="Hours after the incident resolved (1-720)."
    )
    reminder_every_hours = serializers.IntegerField(
        min_value=1, max_value=168, help_text="Hours between reminders (1-168)."
    )
    escalate_after_hours = serializers.IntegerField(
        min_value=0,
        max_value=720,
        help_text="Hours past the due time before every moderator is reminded (0-720).",
    )
    objection_window_days = serializers.IntegerField(
        min_value=1,
        max_value=30,
        help_text="Days a harmed member has to object to a public summary (1-30).",
    )
