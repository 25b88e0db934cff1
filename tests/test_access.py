"""Who sees which page of the spine, and the moderator's API-key settings."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from community.access import access_for_key, access_for_user, get_api_key, get_membership
from community.models import ApiKey, Community, Membership, Visibility
from community.services import EventInput, create_api_key
from tests.budgets.helpers import event, send
from tests.conftest import PASSWORD


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


def test_anyone_can_read_a_public_community(community: Community) -> None:
    response = Client().get("/c/garden/")
    assert response.status_code == 200
    assert b"Garden Club" in response.content


def test_a_members_only_community_is_invisible_to_outsiders(
    community: Community, member: User, outsider: User
) -> None:
    community.visibility = Visibility.MEMBERS
    community.save()
    assert Client().get("/c/garden/").status_code == 404
    assert client_for(outsider).get("/c/garden/").status_code == 404
    assert client_for(member).get("/c/garden/").status_code == 200
    assert b"Garden Club" not in Client().get("/").content


def test_unknown_community_is_404(db: None) -> None:
    assert Client().get("/c/nowhere/").status_code == 404


@pytest.mark.parametrize("who", ["member", "outsider", "other_moderator"])
def test_settings_are_for_moderators_only(
    community: Community, who: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    assert client_for(user).get("/c/garden/settings/").status_code == 403


def test_settings_need_a_login(community: Community) -> None:
    response = Client().get("/c/garden/settings/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_moderator_creates_a_key_and_sees_it_once(community: Community, moderator: User) -> None:
    client = client_for(moderator)
    response = client.post(
        "/c/garden/settings/api-keys/", {"name": "Discourse bot", "scopes": ["events:write"]}
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(community=community)
    shown = response.context["new_key"]
    assert shown.startswith(f"csre_{key.lookup}_")
    assert shown.encode() in response.content
    assert key.scopes == ["events:write"]
    assert key.created_by == moderator
    again = client.get("/c/garden/settings/")
    assert shown.encode() not in again.content


def test_an_htmx_key_request_returns_only_the_fragment(
    community: Community, moderator: User
) -> None:
    response = client_for(moderator).post(
        "/c/garden/settings/api-keys/",
        {"name": "bot", "scopes": ["read"]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<section id="api-keys"')
    assert b"<html" not in response.content


def test_a_key_needs_a_scope(community: Community, moderator: User) -> None:
    response = client_for(moderator).post("/c/garden/settings/api-keys/", {"name": "bot"})
    assert response.status_code == 200
    assert "scopes" in response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_a_moderator_revokes_a_key(community: Community, moderator: User) -> None:
    client = client_for(moderator)
    client.post("/c/garden/settings/api-keys/", {"name": "bot", "scopes": ["read"]})
    key = ApiKey.objects.get()
    client.post(f"/c/garden/settings/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_a_moderator_cannot_revoke_another_communitys_key(
    community: Community, other_community: Community, moderator: User, other_moderator: User
) -> None:
    client_for(other_moderator).post(
        "/c/chess/settings/api-keys/", {"name": "b", "scopes": ["read"]}
    )
    key = ApiKey.objects.get(community=other_community)
    response = client_for(moderator).post(f"/c/garden/settings/api-keys/{key.pk}/revoke/")
    assert response.status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_csrf_is_enforced(community: Community, moderator: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.login(username=moderator.username, password=PASSWORD)
    response = client.post("/c/garden/settings/api-keys/", {"name": "bot", "scopes": ["read"]})
    assert response.status_code == 403
    assert not ApiKey.objects.exists()


def test_logging_in_and_out(community: Community, member: User) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": member.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == member
    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_password_reset_sends_an_email(member: User, mailoutbox: list) -> None:
    response = Client().post("/accounts/password-reset/", {"email": member.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


def test_a_logged_in_person_can_start_a_community(outsider: User) -> None:
    response = client_for(outsider).post(
        "/communities/new/",
        {"name": "Bees", "slug": "bees", "description": "", "visibility": "public"},
    )
    assert response.status_code == 302
    bees = Community.objects.get(slug="bees")
    assert bees.memberships.get(user=outsider).role == "admin"


def test_starting_a_community_with_a_taken_address_is_a_form_error(
    community: Community, outsider: User
) -> None:
    response = client_for(outsider).post(
        "/communities/new/",
        {"name": "Other garden", "slug": "garden", "description": "", "visibility": "public"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["slug"]


def test_a_logged_in_person_joins_a_public_community(community: Community, outsider: User) -> None:
    client = client_for(outsider)
    assert b"Join Garden Club" in client.get("/c/garden/").content
    client.post("/c/garden/join/")
    client.post("/c/garden/join/")
    assert community.memberships.get(user=outsider).role == "member"


def test_nobody_joins_a_members_only_community_uninvited(
    community: Community, member: User, outsider: User
) -> None:
    community.visibility = Visibility.MEMBERS
    community.save()
    assert client_for(outsider).post("/c/garden/join/").status_code == 404
    assert not community.memberships.filter(user=outsider).exists()


def _admin(community: Community) -> User:
    from community.services import set_role
    from tests.conftest import make_user

    admin = make_user("ada_admin")
    set_role(community=community, user=admin, role="admin")
    return admin


def test_an_admin_makes_a_member_a_moderator(community: Community, member: User) -> None:
    response = client_for(_admin(community)).post(
        "/c/garden/settings/roles/",
        {"username": member.username, "role": "moderator"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<section id="team"')
    assert community.memberships.get(user=member).is_moderator


def test_a_moderator_cannot_change_roles(
    community: Community, moderator: User, member: User
) -> None:
    response = client_for(moderator).post(
        "/c/garden/settings/roles/", {"username": member.username, "role": "admin"}
    )
    assert response.status_code == 403
    assert community.memberships.get(user=member).role == "member"


def test_the_last_admin_cannot_step_down(community: Community) -> None:
    admin = _admin(community)
    response = client_for(admin).post(
        "/c/garden/settings/roles/", {"username": admin.username, "role": "member"}
    )
    assert "at least one admin" in str(response.context["role_form"].errors)
    assert community.memberships.get(user=admin).role == "admin"


def test_a_role_for_an_unknown_account_is_a_form_error(community: Community) -> None:
    response = client_for(_admin(community)).post(
        "/c/garden/settings/roles/", {"username": "ghost", "role": "moderator"}
    )
    assert "No account is called" in str(response.context["role_form"].errors)


# --- One CommunityAccess for a session user or an API key ---------------------------------


def _key(community: Community, *scopes: str) -> ApiKey:
    key, _ = create_api_key(community=community, name="bot", scopes=list(scopes), by=None)
    return key


@pytest.mark.parametrize(
    ("scopes", "moderates", "sees_records"),
    [
        (("moderate",), True, True),
        (("read",), False, True),
        (("events:write",), False, False),
    ],
)
def test_what_a_key_may_see_follows_its_scopes(
    community: Community, scopes: tuple[str, ...], moderates: bool, sees_records: bool
) -> None:
    access = access_for_key(_key(community, *scopes))
    assert access.community == community and access.membership is None
    assert (access.is_moderator, access.sees_member_records) == (moderates, sees_records)


def test_a_session_user_sees_member_records_only_as_a_moderator(
    community: Community, moderator: User, member: User
) -> None:
    assert access_for_user(moderator, "garden").sees_member_records
    as_member = access_for_user(member, "garden")
    assert not as_member.sees_member_records and as_member.is_member


def test_a_read_key_sees_any_members_records_a_member_only_their_own(
    community: Community, moderator: User, member: User, member_membership: Membership
) -> None:
    mod_membership = Membership.objects.get(user=moderator)
    assert get_membership(access_for_key(_key(community, "read")), mod_membership.pk)
    with pytest.raises(Http404):
        get_membership(access_for_key(_key(community, "events:write")), member_membership.pk)
    as_member = access_for_user(member, "garden")
    assert get_membership(as_member, member_membership.pk) == member_membership
    with pytest.raises(Http404):
        get_membership(as_member, mod_membership.pk)


def test_a_key_manages_no_api_keys_unless_it_may_moderate(community: Community) -> None:
    target = _key(community, "read")
    with pytest.raises(PermissionDenied):
        get_api_key(access_for_key(_key(community, "read")), target.pk)
    assert get_api_key(access_for_key(_key(community, "moderate")), target.pk) == target


def test_a_key_never_reaches_another_communitys_objects(
    community: Community, other_community: Community, moderator: User
) -> None:
    theirs = _key(other_community, "read")
    with pytest.raises(Http404):
        get_api_key(access_for_key(_key(community, "moderate")), theirs.pk)
    with pytest.raises(Http404):
        get_membership(
            access_for_key(_key(other_community, "read")),
            Membership.objects.get(user=moderator).pk,
        )


def test_the_home_page_counts_friction_as_the_clause_slis_do(
    community: Community, django_assert_max_num_queries: Any
) -> None:
    def in_proposals(item: EventInput) -> EventInput:
        return replace(item, space_external_id="5", space_name="Proposals")

    send(
        community,
        *map(
            in_proposals,
            [
                event("post", subject="p1"),
                event("flag_upheld", subject="p1", category="inappropriate"),
                event("flag_upheld", subject="p2", category="inappropriate"),
                event("flag_rejected", subject="p2"),
            ],
        ),
    )
    with django_assert_max_num_queries(8):
        page = Client().get("/c/garden/").content.decode()
    # One post; two flags upheld, one of them rejected later: one friction event.
    assert re.search(r'<td class="num">1</td><td class="num">1</td>', page), page
