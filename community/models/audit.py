"""The audit log: who changed what, when, through which door (a page or an API key).

Append-only. A row is written once by ``config.audit.AuditMiddleware`` for every state-changing
request an identified actor makes (a signed-in person or an API key), and never changed: the model
refuses updates and deletes, the admin is read-only, and on PostgreSQL a trigger refuses
``UPDATE`` and ``DELETE`` even from raw SQL. Rows keep plain copies of names (no foreign keys), so
removing a community, a login or a key leaves its history readable.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit entries are never changed.")

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit entries are never deleted.")


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    community_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    community_slug = models.CharField(max_length=60, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    api_key_id = models.UUIDField(null=True, blank=True)
    api_key_name = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=100, help_text="The URL name of what was done.")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    target = models.JSONField(default=dict, blank=True, help_text="The URL's parameters.")
    status_code = models.PositiveSmallIntegerField()
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ("-at", "-pk")
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["community_id", "-at"], name="audit_community_at")]

    def __str__(self) -> str:
        who = self.username or (f"key {self.api_key_name}" if self.api_key_name else "someone")
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who}: {self.action} ({self.status_code})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit entries are never deleted.")
