"""Admin of the social contract's models (autodiscovered: ``community.contract`` is an app)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from community.models import (
    Acknowledgement,
    Clause,
    ClauseAlert,
    ClauseSnapshot,
    Contract,
    ContractVersion,
)


@admin.register(Clause)
class ClauseAdmin(admin.ModelAdmin[Clause]):
    list_display = ("title", "community", "target", "window_days", "is_live", "retired_at")
    list_filter = ("is_live", "community")
    search_fields = ("title", "slug")


@admin.register(ContractVersion)
class ContractVersionAdmin(admin.ModelAdmin[ContractVersion]):
    list_display = ("contract", "number", "published_by_name", "published_at")
    readonly_fields = [f.name for f in ContractVersion._meta.fields]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # published versions are immutable


@admin.register(ClauseAlert)
class ClauseAlertAdmin(admin.ModelAdmin[ClauseAlert]):
    list_display = ("clause", "scope", "rule", "burn_rate_long", "fired_at", "cleared_at")
    list_filter = ("rule", "severity")


admin.site.register(Contract)
admin.site.register(ClauseSnapshot)
admin.site.register(Acknowledgement)
