from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from incidents.models import (
    Cooldown,
    Incident,
    IncidentReport,
    IncidentRole,
    IncidentSettings,
    Runbook,
    RunbookStep,
    StepRun,
    TimelineEntry,
)


class RunbookStepInline(admin.TabularInline[RunbookStep, Runbook]):
    model = RunbookStep
    extra = 1


@admin.register(Runbook)
class RunbookAdmin(admin.ModelAdmin[Runbook]):
    """Runbooks are authored here (steps inline) until an editor page exists."""

    list_display = ("name", "community", "is_active")
    list_filter = ("community", "is_active")
    inlines = [RunbookStepInline]


class TimelineInline(admin.TabularInline[TimelineEntry, Incident]):
    model = TimelineEntry
    fields = ("at", "kind", "author", "author_label", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin[Incident]):
    """Read-only: incidents change through the war room and the API, so every change is on
    the timeline and checked against the version."""

    list_display = ("title", "community", "severity", "status", "declared_at")
    list_filter = ("status", "severity", "community")
    search_fields = ("title",)
    inlines = [TimelineInline]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin[TimelineEntry]):
    """Append-only: viewable, never added, changed or deleted here."""

    list_display = ("at", "incident", "kind", "author_label", "text")
    list_filter = ("kind",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Cooldown)
class CooldownAdmin(admin.ModelAdmin[Cooldown]):
    list_display = ("space", "mode", "starts_at", "ends_at", "ended_at", "end_reason")
    list_filter = ("mode", "end_reason", "community")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


admin.site.register(IncidentSettings)
admin.site.register(IncidentReport)
admin.site.register(IncidentRole)
admin.site.register(StepRun)
