"""Admin: read-mostly views of postmortems for support. Changes go through the editor, the
circle page and the API, where the rules are checked."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from incidents.postmortems.models import (
    ActionItem,
    Agreement,
    AgreementConsent,
    BlamelessFinding,
    Harm,
    Participant,
    Postmortem,
    PostmortemSection,
    PostmortemSettings,
    RepairExchange,
    VerificationCheck,
)


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SectionInline(ReadOnlyInline):
    model = PostmortemSection
    fields = ("key", "version", "updated_by", "updated_at", "body")
    readonly_fields = fields


class ParticipantInline(ReadOnlyInline):
    model = Participant
    fields = ("membership", "role", "consent", "invited_at", "responded_at")
    readonly_fields = fields


class ActionItemInline(ReadOnlyInline):
    model = ActionItem
    fields = ("title", "kind", "owner", "due_on", "status")
    readonly_fields = fields


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin[Postmortem]):
    list_display = ("incident", "community", "state", "visibility", "due_at", "published_at")
    list_filter = ("state", "visibility", "community")
    inlines = [SectionInline, ParticipantInline, ActionItemInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PostmortemSettings)
class PostmortemSettingsAdmin(admin.ModelAdmin[PostmortemSettings]):
    list_display = ("community", "due_hours", "reminder_every_hours", "escalate_after_hours")


class VerificationCheckInline(ReadOnlyInline):
    model = VerificationCheck
    fields = ("at", "total", "bad", "sli", "meets_target")
    readonly_fields = fields


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin[ActionItem]):
    list_display = ("title", "community", "kind", "status", "owner", "due_on")
    list_filter = ("status", "kind", "community")
    search_fields = ("title",)
    inlines = [VerificationCheckInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AgreementConsentInline(ReadOnlyInline):
    model = AgreementConsent
    fields = ("participant", "answer", "answered_at")
    readonly_fields = fields


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin[Agreement]):
    list_display = ("postmortem", "owner", "due_on", "status")
    list_filter = ("status",)
    inlines = [AgreementConsentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Harm, RepairExchange, BlamelessFinding)
class CircleRecordAdmin(admin.ModelAdmin[Any]):
    list_display = ("__str__",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
