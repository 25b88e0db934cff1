"""Input and output of the replays API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from community.contract.serializers import DefinitionSerializer
from community.serializers import id_field


class ReplayInSerializer(serializers.Serializer[dict[str, Any]]):
    clause = DefinitionSerializer(required=False, help_text="A clause body, as for creating one.")
    clause_id = id_field(required=False, help_text="An existing clause, replayed as it stands.")
    policy = serializers.DictField(
        required=False,
        help_text="A draft budget policy: the settings to change, as for changing the policy.",
    )
    runbook_id = id_field(
        required=False,
        help_text="A runbook whose automated steps are tried on the incidents the alerts "
        "would have declared (needs a clause).",
    )
    from_ = serializers.DateTimeField(required=False, help_text="Start (default: 30 days ago).")
    to = serializers.DateTimeField(required=False, help_text="End (default: now).")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "clause" in attrs and "clause_id" in attrs:
            raise serializers.ValidationError(
                {"clause": _("Give either a clause body or a clause_id, not both.")}
            )
        if not {"clause", "clause_id", "policy"} & set(attrs):
            raise serializers.ValidationError(
                {
                    "clause": _(
                        "Give a clause body, a clause_id, a policy, or a clause and a policy."
                    )
                }
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


class ReplayMembersSerializer(serializers.Serializer[dict[str, Any]]):
    at = serializers.DateTimeField(help_text="The end of the period: the moment compared.")
    live_policy = serializers.DictField()
    draft_policy = serializers.DictField()
    count = serializers.IntegerField(help_text="Members with an event or a charge in the window.")
    by_tier = serializers.DictField(help_text="{live: {tier: n}, draft: {tier: n}}.")
    by_cohort = serializers.DictField(
        help_text="Per cohort (newcomers, regulars, long_standing): members, changed and the "
        "tiers live and draft; null for a cohort of fewer than 5 members."
    )
    changed_count = serializers.IntegerField()
    changed = serializers.ListField(
        child=serializers.DictField(), help_text="Members whose tier differs (at most 200)."
    )
    period = serializers.DictField(
        allow_null=True,
        help_text="Over the whole period, each member's tier at each of their charges' times "
        "and at the end, from what was known then: {from, to, members, worst: {live: {tier: "
        "n}, draft: {...}} (members by their worst tier), entered: {live: {tier: n}, draft: "
        "{...}} (members who would have entered each tier), differ_count, differ: [{member_id,"
        " name, start_tier, live_worst, draft_worst, live_entered, draft_entered}] (at most "
        "200)}; null for a replay kept from before it was compared.",
    )


class ReplayChargesSerializer(serializers.Serializer[dict[str, Any]]):
    differ = serializers.IntegerField(help_text="Charges that would count differently.")
    rows = serializers.ListField(child=serializers.DictField(), help_text="At most 200.")


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
    policy = serializers.DictField(allow_null=True, help_text="The draft budget policy asked for.")
    runbook_id = serializers.IntegerField(allow_null=True)
    standing = serializers.DictField(
        allow_null=True,
        help_text="The clause at the end of the period: {replayed: {...}, live: {...} or null}, "
        "each with total, bad, sli, budget_remaining, tier.",
    )
    incidents = serializers.DictField(
        allow_null=True,
        help_text="What the replayed alerts would have done (replayed: per alert, outcome "
        "declare, suggest or join, and a runbook's steps) beside the live path (live).",
    )
    members = ReplayMembersSerializer(allow_null=True)
    charges = ReplayChargesSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields
