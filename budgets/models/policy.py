"""A community's forgiveness policy and its version history."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from budgets import budget_math
from community.models import Community
from community.vocabulary import FRICTION_KINDS


def default_costs() -> dict[str, dict[str, str]]:
    return {
        kind: {sev: str(cost) for sev, cost in budget_math.DEFAULT_COSTS.items()}
        for kind in sorted(FRICTION_KINDS)
    }


def default_tier_actions() -> dict[str, list[str]]:
    return {str(tier): list(actions) for tier, actions in budget_math.DEFAULT_TIER_ACTIONS.items()}


def _plain(value: Decimal | int | str) -> str:
    """A decimal as people write it: 0.95, 10, 2.5 (never 0.9500 or 1E+1)."""
    return format(Decimal(value).normalize(), "f")


class ForgivenessPolicyManager(models.Manager["ForgivenessPolicy"]):
    def for_community(self, community: Community) -> ForgivenessPolicy:
        """The community's policy, created with the defaults (version 1) on first use."""
        policy = self.filter(community=community).first()
        if policy is not None:
            return policy
        try:
            with transaction.atomic():
                policy = self.create(community=community)
                PolicyVersion.objects.create(
                    community=community, version=1, snapshot=policy.as_dict(), note="Defaults"
                )
        except IntegrityError:
            return self.get(community=community)
        return policy


class ForgivenessPolicy(models.Model):
    """How much room each member has, what friction costs, and what each tier does.

    Edited only through ``budgets.services.update_policy``, which validates it and records a
    PolicyVersion, so every change is kept with who made it and why.
    """

    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, related_name="forgiveness_policy"
    )
    window_days = models.PositiveIntegerField(default=budget_math.DEFAULT_WINDOW_DAYS)
    member_target = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        default=budget_math.DEFAULT_MEMBER_TARGET,
        help_text="Share of a member's posts expected to be friction-free; empty for a fixed "
        "allowance of the floor.",
    )
    floor_points = models.DecimalField(
        max_digits=8, decimal_places=2, default=budget_math.DEFAULT_FLOOR_POINTS
    )
    costs = models.JSONField(default=default_costs)
    tier_actions = models.JSONField(default=default_tier_actions)
    cooldown_hours = models.PositiveIntegerField(default=24)
    appeal_days = models.PositiveIntegerField(default=14)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ForgivenessPolicyManager()

    class Meta:
        verbose_name_plural = "forgiveness policies"

    def __str__(self) -> str:
        return f"Forgiveness policy v{self.version} of {self.community_id}"

    def math(self) -> budget_math.Policy:
        return budget_math.Policy(
            window_days=self.window_days,
            member_target=self.member_target,
            floor_points=Decimal(self.floor_points),
        )

    def cost_for(self, kind: str, severity: str) -> Decimal:
        by_severity = (self.costs or {}).get(kind) or {}
        value = by_severity.get(severity or "moderate")
        if value is None:
            return budget_math.DEFAULT_COSTS.get(severity, budget_math.DEFAULT_COSTS["moderate"])
        return Decimal(str(value))

    def actions_for(self, tier: str) -> list[str]:
        return list((self.tier_actions or {}).get(tier, []))

    def appeal_deadline(self, recorded_at: datetime) -> datetime:
        """The last moment a charge recorded at ``recorded_at`` can be appealed."""
        return recorded_at + timedelta(days=self.appeal_days)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "window_days": self.window_days,
            "member_target": None if self.member_target is None else _plain(self.member_target),
            "floor_points": _plain(self.floor_points),
            "costs": self.costs,
            "tier_actions": self.tier_actions,
            "cooldown_hours": self.cooldown_hours,
            "appeal_days": self.appeal_days,
        }


class PolicyVersion(models.Model):
    """One saved version of a community's policy (append-only)."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="forgiveness_policy_versions"
    )
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-version",)
        constraints = [
            models.UniqueConstraint(
                fields=("community", "version"), name="policyversion_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} of {self.community_id}"
