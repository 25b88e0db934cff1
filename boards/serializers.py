"""The fairness API's output: exactly the shape of issue 14, suppressed figures as null."""

from __future__ import annotations

from rest_framework import serializers


class CohortSerializer(serializers.Serializer[dict[str, object]]):
    name = serializers.CharField(help_text="newcomers, regulars, long_standing or trust_level_N.")
    members = serializers.IntegerField(allow_null=True)
    posts = serializers.IntegerField(allow_null=True)
    charges = serializers.IntegerField(allow_null=True)
    charges_per_100_posts = serializers.FloatField(allow_null=True)
    share_warning_or_worse = serializers.FloatField(allow_null=True)
    overturned_share = serializers.FloatField(allow_null=True)
    rate_ratio = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    flagged = serializers.BooleanField()


class FairnessSerializer(serializers.Serializer[dict[str, object]]):
    cohorts = CohortSerializer(many=True)
    reference = serializers.CharField(help_text="The cohort the others are compared with.")
    computed_at = serializers.DateTimeField(
        help_text="When these figures were counted (they are counted hourly and on request)."
    )
