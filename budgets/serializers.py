"""API shapes for budgets. Decimals are strings (exact); times are ISO 8601 UTC."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from budgets.budget_math import (
    ACTION_TIERS,
    MAX_APPEAL_DAYS,
    MAX_COOLDOWN_HOURS,
    MAX_WINDOW_DAYS,
    Action,
)
from budgets.models import Charge, Forgiveness, ForgivenessKind, MemberBudget, TierTransition
from community.models import ExternalIdentity, Membership
from community.serializers import id_field
from community.vocabulary import FRICTION_KINDS, Severity


class BudgetSerializer(serializers.ModelSerializer[MemberBudget]):
    class Meta:
        model = MemberBudget
        fields = (
            "activity",
            "allowance",
            "spent",
            "remaining",
            "remaining_ratio",
            "tier",
            "recovers_at",
        )


class IdentitySerializer(serializers.ModelSerializer[ExternalIdentity]):
    class Meta:
        model = ExternalIdentity
        fields = ("source", "external_id", "username")


class MemberSerializer(serializers.ModelSerializer[Membership]):
    identities = IdentitySerializer(many=True, read_only=True)
    budget = BudgetSerializer(
        read_only=True, allow_null=True, help_text="Null until first calculated."
    )

    class Meta:
        model = Membership
        fields = ("id", "display_name", "role", "identities", "budget")


class ForgivenessSerializer(serializers.ModelSerializer[Forgiveness]):
    by = serializers.CharField(
        source="by.username",
        default=None,
        allow_null=True,
        read_only=True,
        help_text="The moderator who forgave; null when an API key or the system did.",
    )

    class Meta:
        model = Forgiveness
        fields = ("id", "charge", "kind", "reason", "by", "at")


class ChargeSerializer(serializers.ModelSerializer[Charge]):
    # A plain string: "severity" names another enum in the schema (clause alert severity).
    severity = serializers.CharField(read_only=True, help_text="minor, moderate or severe")
    member_id = serializers.IntegerField(source="membership_id", read_only=True)
    event_id = serializers.IntegerField(allow_null=True, read_only=True)
    counts = serializers.SerializerMethodField()

    class Meta:
        model = Charge
        fields = (
            "id",
            "member_id",
            "event_id",
            "kind",
            "category",
            "severity",
            "cost",
            "reason",
            "occurred_at",
            "recorded_at",
            "counts",
        )

    def get_counts(self, obj: Charge) -> bool:
        """False once the charge was reversed or forgiven (it may also have left the window)."""
        return not hasattr(obj, "forgiveness")


class TransitionSerializer(serializers.ModelSerializer[TierTransition]):
    # Plain strings: one Tier enum in the schema (BudgetSerializer.tier) is enough.
    from_tier = serializers.CharField(read_only=True)
    to_tier = serializers.CharField(read_only=True)

    class Meta:
        model = TierTransition
        fields = (
            "sequence",
            "from_tier",
            "to_tier",
            "at",
            "allowance",
            "spent",
            "remaining",
            "remaining_ratio",
            "actions",
            "from_imported_history",
        )


class LedgerSerializer(serializers.Serializer[Any]):
    member = MemberSerializer()
    charges = ChargeSerializer(many=True)
    forgiveness = ForgivenessSerializer(many=True)
    transitions = TransitionSerializer(many=True)


class ChargeInSerializer(serializers.Serializer[Any]):
    member_id = id_field()
    kind = serializers.ChoiceField(choices=sorted(FRICTION_KINDS))
    severity = serializers.CharField(help_text="minor, moderate or severe")
    reason = serializers.CharField(max_length=300)
    occurred_at = serializers.DateTimeField()
    cost = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        required=False,
        min_value=0,
        max_value=1000,
        help_text="Leave out to use the policy's cost for the kind and severity.",
    )

    def validate_severity(self, value: str) -> str:
        if value not in Severity.values:
            raise serializers.ValidationError(
                _("One of %(levels)s.") % {"levels": ", ".join(Severity.values)}
            )
        return value


class ForgivenessInSerializer(serializers.Serializer[Any]):
    charge_ids = serializers.ListField(child=id_field(), allow_empty=False, max_length=500)
    reason = serializers.CharField(max_length=500)
    kind = serializers.ChoiceField(
        choices=[ForgivenessKind.GRACE, ForgivenessKind.AGREEMENT], default=ForgivenessKind.GRACE
    )


class ForgivenessOutSerializer(serializers.Serializer[Any]):
    forgiven = ForgivenessSerializer(many=True)
    already_released = serializers.ListField(
        child=serializers.IntegerField(), help_text="Charges that had stopped counting before."
    )


class PolicySerializer(serializers.Serializer[Any]):
    """The policy. On PUT every field is optional: what is given replaces the current value."""

    version = serializers.IntegerField(read_only=True)
    window_days = serializers.IntegerField(required=False, min_value=1, max_value=MAX_WINDOW_DAYS)
    member_target = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text='e.g. "0.95"; null: fixed'
    )
    floor_points = serializers.CharField(required=False)
    costs = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField()),
        required=False,
        help_text=f"Per friction kind ({', '.join(sorted(FRICTION_KINDS))}) and severity.",
    )
    tier_actions = serializers.DictField(
        child=serializers.ListField(child=serializers.ChoiceField(choices=list(Action.ALL))),
        required=False,
        help_text=f"Per tier ({', '.join(ACTION_TIERS)}).",
    )
    cooldown_hours = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_COOLDOWN_HOURS
    )
    appeal_days = serializers.IntegerField(required=False, min_value=1, max_value=MAX_APPEAL_DAYS)
    note = serializers.CharField(required=False, write_only=True, max_length=300)


class PolicyErrorSerializer(serializers.Serializer[Any]):
    """A refused policy: a message per field (absent when the body could not be read)."""

    detail = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(), required=False, help_text="Field name to message."
    )
