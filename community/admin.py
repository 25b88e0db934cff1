from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from community.models import (
    ApiKey,
    AuditEntry,
    Community,
    ConductEvent,
    DomainEvent,
    ExternalIdentity,
    Heartbeat,
    Membership,
    Space,
)


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin[Community]):
    list_display = ("name", "slug", "visibility", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("display_name", "community", "role", "user", "joined_at")
    list_filter = ("role", "community")
    search_fields = ("display_name", "user__username")
    raw_id_fields = ("user",)


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin[Space]):
    list_display = ("name", "community", "kind", "source", "external_id")
    list_filter = ("kind", "community")
    search_fields = ("name", "external_id")


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin[ExternalIdentity]):
    list_display = ("username", "source", "external_id", "community", "membership")
    search_fields = ("username", "external_id")
    raw_id_fields = ("membership",)


@admin.register(ConductEvent)
class ConductEventAdmin(admin.ModelAdmin[ConductEvent]):
    """Conduct events are append-only: the admin shows them but cannot change them."""

    list_display = ("kind", "category", "severity", "member", "space", "occurred_at", "source")
    list_filter = ("kind", "severity", "source", "community")
    search_fields = ("external_id", "subject")
    raw_id_fields = ("member", "space")
    date_hierarchy = "occurred_at"

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = ("name", "community", "lookup", "scopes", "last_used_at", "revoked_at")
    list_filter = ("community",)
    readonly_fields = ("lookup", "key_hash", "last_used_at", "created_at")


@admin.register(DomainEvent)
class DomainEventAdmin(admin.ModelAdmin[DomainEvent]):
    list_display = ("type", "community", "created_at", "dispatched_at")
    list_filter = ("type", "community")
    readonly_fields = ("type", "payload", "created_at", "dispatched_at", "community")


admin.site.register(Heartbeat)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read by admins, changed by nobody (the model and, on PostgreSQL, a trigger refuse it)."""

    list_display = ("at", "community_slug", "username", "api_key_name", "action", "status_code")
    list_filter = ("community_slug", "method", "status_code")
    search_fields = ("username", "api_key_name", "action", "path", "request_id")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
