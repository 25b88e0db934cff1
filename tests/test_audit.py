"""The audit log: every state-changing request by a person or a key, append-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from community.models import ApiKey, AuditEntry, AuditLogIsAppendOnly, Community, Space
from community.services import create_api_key
from tests.conftest import PASSWORD, api_client_for


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_a_moderators_action_is_recorded_with_who_what_and_the_outcome(
    community: Community, moderator: User
) -> None:
    key, _ = create_api_key(community=community, name="Forum bot", scopes=["read"], by=moderator)
    response = signed_in(moderator).post(f"/c/garden/settings/api-keys/{key.pk}/revoke/")
    assert response.status_code in (200, 302)
    entry = AuditEntry.objects.get()
    assert (entry.community_slug, entry.username, entry.action, entry.method) == (
        "garden",
        "maya_mod",
        "community:api-key-revoke",
        "POST",
    )
    assert entry.target == {"slug": "garden", "key_id": str(key.pk)}
    assert entry.status_code == response.status_code
    assert entry.community_id == community.pk and entry.user_id == moderator.pk
    assert len(entry.request_id) == 32


def test_a_refused_attempt_is_recorded_too(community: Community, member: User) -> None:
    key, _ = create_api_key(community=community, name="Forum bot", scopes=["read"], by=None)
    response = signed_in(member).post(f"/c/garden/settings/api-keys/{key.pk}/revoke/")
    assert response.status_code == 403
    entry = AuditEntry.objects.get()
    assert (entry.username, entry.status_code) == ("milo_member", 403)
    assert ApiKey.objects.get().revoked_at is None


def test_an_api_write_names_the_key_and_its_community(community: Community) -> None:
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    client = api_client_for(community, "read", "moderate")
    response = client.post(
        "/api/v1/incidents/",
        {"title": "Proposals: heated", "severity": "SEV3", "space_ids": [space.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    entry = AuditEntry.objects.get()
    assert (entry.api_key_name, entry.username, entry.action, entry.community_slug) == (
        "test",
        "",
        "api:incidents",
        "garden",
    )


def test_reads_anonymous_requests_and_event_ingest_are_not_recorded(
    community: Community, moderator: User, api: APIClient
) -> None:
    signed_in(moderator).get("/c/garden/settings/")
    Client().post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    api.post(
        "/api/v1/events/",
        {"events": [{"external_id": "p1", "kind": "post", "occurred_at": "2026-11-20T10:00:00Z"}]},
        format="json",
    )
    assert not AuditEntry.objects.exists()


def test_signing_in_and_out_are_recorded(community: Community, moderator: User) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "maya_mod", "password": PASSWORD})
    client.post("/accounts/logout/")
    assert list(AuditEntry.objects.order_by("at", "pk").values_list("action", "username")) == [
        ("login", "maya_mod"),
        ("logout", "maya_mod"),
    ]


def test_an_entry_can_be_neither_changed_nor_deleted(community: Community, moderator: User) -> None:
    signed_in(moderator).post(
        "/c/garden/settings/api-keys/00000000-0000-0000-0000-000000000000/revoke/"
    )
    entry = AuditEntry.objects.get()
    entry.status_code = 200
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().update(status_code=200)
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().status_code == 404


@pytest.mark.postgres
def test_the_database_refuses_changes_even_from_raw_sql(
    community: Community, moderator: User
) -> None:
    signed_in(moderator).post(
        "/c/garden/settings/api-keys/00000000-0000-0000-0000-000000000000/revoke/"
    )
    for statement in (
        "UPDATE community_auditentry SET status_code = 200",
        "DELETE FROM community_auditentry",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEntry.objects.get().status_code == 404


def test_admins_read_the_log_but_cannot_add_change_or_delete(
    community: Community, moderator: User
) -> None:
    admin = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    signed_in(moderator).post(
        "/c/garden/settings/api-keys/00000000-0000-0000-0000-000000000000/revoke/"
    )
    entry = AuditEntry.objects.get()
    client = signed_in(admin)
    assert client.get("/admin/community/auditentry/").status_code == 200
    assert client.get(f"/admin/community/auditentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/community/auditentry/add/").status_code == 403
    assert client.post(f"/admin/community/auditentry/{entry.pk}/delete/").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
