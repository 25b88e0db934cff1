"""Input and output serializers of the releases API."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from rest_framework import serializers

from community.contract.releases.models import AnswerKind, Baseline, TrialKind


class ReleaseCanaryInSerializer(serializers.Serializer[dict[str, object]]):
    kind = serializers.ChoiceField(
        choices=TrialKind.choices,
        default=TrialKind.CONTRACT,
        help_text="contract: the contract draft; policy: new costs of the budget policy.",
    )
    costs = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(max_length=20)),
        required=False,
        help_text="For a policy trial: cost per friction kind and severity, e.g. "
        '{"flag_upheld": {"minor": "2", "moderate": "4", "severe": "10"}}.',
    )
    summary = serializers.CharField(max_length=2000)
    space_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2_147_483_647),
        min_length=1,
        max_length=200,
    )
    duration_hours = serializers.IntegerField(min_value=1, max_value=720)
    baseline = serializers.ChoiceField(choices=Baseline.choices, default=Baseline.REST)
    sli_drop_points = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, default=Decimal("1")
    )
    burn_rate = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=0, default=Decimal("6")
    )
    overturned_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, default=Decimal("25")
    )
    min_events = serializers.IntegerField(min_value=1, max_value=100_000, default=20)

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        if attrs.get("kind") == TrialKind.POLICY and not attrs.get("costs"):
            raise serializers.ValidationError({"costs": _("A policy trial needs its new costs.")})
        if attrs.get("kind") == TrialKind.CONTRACT and attrs.get("costs"):
            raise serializers.ValidationError(
                {"costs": _("Costs belong to a policy trial (kind policy).")}
            )
        return attrs


class ReleaseEntryOutSerializer(serializers.Serializer[dict[str, object]]):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    words = serializers.CharField()
    by_name = serializers.CharField()


class ReleaseGateFindingOutSerializer(serializers.Serializer[dict[str, object]]):
    measure = serializers.CharField()
    clause = serializers.CharField()
    holds = serializers.BooleanField()
    words = serializers.CharField()


class ReleaseCanaryOutSerializer(serializers.Serializer[dict[str, object]]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    number = serializers.IntegerField(
        help_text="The contract version (or, for a policy trial, the policy version) it would be."
    )
    costs = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text="A policy trial's costs per friction kind and severity (empty otherwise).",
    )
    summary = serializers.CharField()
    status = serializers.CharField()
    space_ids = serializers.ListField(child=serializers.IntegerField())
    baseline = serializers.CharField()
    started_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()
    gate = serializers.CharField(allow_blank=True)
    findings = ReleaseGateFindingOutSerializer(many=True)
    thresholds = serializers.ListField(child=serializers.CharField())
    timeline = ReleaseEntryOutSerializer(many=True)
    promoted_version = serializers.IntegerField(allow_null=True)
    promoted_policy_version = serializers.IntegerField(allow_null=True)


class ReleaseGroupInSerializer(serializers.Serializer[dict[str, object]]):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    space_id = serializers.IntegerField(
        min_value=1, max_value=2_147_483_647, required=False, allow_null=True, default=None
    )
    delegate_id = serializers.IntegerField(
        min_value=1, max_value=2_147_483_647, required=False, allow_null=True, default=None
    )


class ReleaseGroupOutSerializer(serializers.Serializer[dict[str, object]]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    space_id = serializers.IntegerField(allow_null=True)
    delegate_id = serializers.IntegerField(allow_null=True)
    delegate = serializers.CharField(allow_blank=True)
    answer = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class ReleaseCouncilOutSerializer(serializers.Serializer[dict[str, object]]):
    enabled = serializers.BooleanField()
    rotation_days = serializers.IntegerField()
    facilitator = serializers.CharField(allow_blank=True)
    facilitator_until = serializers.DateTimeField()
    draft_number = serializers.IntegerField(allow_null=True)
    draft_fingerprint = serializers.CharField(allow_blank=True)
    groups = ReleaseGroupOutSerializer(many=True)


class ReleaseCouncilInSerializer(serializers.Serializer[dict[str, object]]):
    enabled = serializers.BooleanField()
    rotation_days = serializers.IntegerField(min_value=1, max_value=90, default=7)


class ReleaseAnswerInSerializer(serializers.Serializer[dict[str, object]]):
    delegate_id = serializers.IntegerField(
        min_value=1,
        max_value=2_147_483_647,
        help_text="The member answering: the group's delegate.",
    )
    kind = serializers.ChoiceField(choices=[*AnswerKind.values, "withdraw"])
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    fingerprint = serializers.CharField(max_length=32, required=False, default="")


class ReleaseAnswerOutSerializer(serializers.Serializer[dict[str, object]]):
    id = serializers.IntegerField()
    group_id = serializers.IntegerField()
    number = serializers.IntegerField()
    delegate = serializers.CharField()
    kind = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    answered_at = serializers.DateTimeField()
    withdrawn = serializers.BooleanField()
    standing = serializers.BooleanField()


class ReleaseClauseHealthOutSerializer(serializers.Serializer[dict[str, object]]):
    clause_id = serializers.IntegerField()
    title = serializers.CharField()
    sli_before = serializers.CharField(allow_null=True)
    sli_after = serializers.CharField(allow_null=True)
    worse = serializers.BooleanField()
    words = serializers.CharField()


class ReleaseHealthOutSerializer(serializers.Serializer[dict[str, object]]):
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    clauses = ReleaseClauseHealthOutSerializer(many=True)
    canary = serializers.CharField(allow_blank=True)
    answers = ReleaseAnswerOutSerializer(many=True)
    replay = serializers.ListField(child=serializers.CharField())
