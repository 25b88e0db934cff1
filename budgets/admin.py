from __future__ import annotations

from typing import Any

from django.contrib import admin

from budgets.models import (
    Appeal,
    Charge,
    Forgiveness,
    ForgivenessPolicy,
    MemberBudget,
    MemberCooldown,
    Notice,
    PolicyVersion,
    TierTransition,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """The ledger and its consequences are append-only: change them through the services."""

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ("membership", "kind", "severity", "cost", "occurred_at", "community")
    list_filter = ("kind", "severity", "community")
    raw_id_fields = ("membership", "event")


@admin.register(Forgiveness)
class ForgivenessAdmin(ReadOnlyAdmin):
    list_display = ("charge", "kind", "by", "at")
    list_filter = ("kind", "community")


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("membership", "charge", "status", "filed_at", "decided_at")
    list_filter = ("status", "community")


@admin.register(MemberBudget)
class MemberBudgetAdmin(ReadOnlyAdmin):
    list_display = ("membership", "tier", "remaining", "allowance", "spent", "computed_at")
    list_filter = ("tier", "community")


@admin.register(TierTransition)
class TierTransitionAdmin(ReadOnlyAdmin):
    list_display = ("membership", "sequence", "from_tier", "to_tier", "at")
    list_filter = ("to_tier", "community")


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("title", "audience", "membership", "created_at", "emailed_at")
    list_filter = ("audience", "kind", "community")


@admin.register(MemberCooldown)
class MemberCooldownAdmin(ReadOnlyAdmin):
    list_display = ("membership", "starts_at", "ends_at")


@admin.register(ForgivenessPolicy)
class ForgivenessPolicyAdmin(ReadOnlyAdmin):
    """Edited on the policy page (validated and versioned), shown here."""

    list_display = ("community", "version", "window_days", "member_target", "floor_points")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ("community", "version", "created_by", "created_at", "note")
