"""Addresses and paging parameters from hostile callers get a clear 4xx, never a 500."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from community.models import Community
from incidents.models import TimelineEntry
from incidents.services import Actor, declare_incident
from tests.budgets.helpers import posts, send
from tests.conftest import PASSWORD


def logged_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    "address",
    [
        "/api/v1/members/?q=%00",
        "/api/v1/members/?source=%00",
        "/api/v1/members/?%00=1",
    ],
)
def test_an_api_address_with_unreadable_characters_is_a_json_400(
    api: APIClient, address: str
) -> None:
    response = api.get(address)
    assert response.status_code == 400
    assert "cannot read" in response.json()["detail"]


@pytest.mark.parametrize(
    "address", ["/c/garden/budgets/?q=%00", "/c/gar%00den/", "/c/garden/?page=%00"]
)
def test_a_page_address_with_a_nul_is_a_400(moderator: User, address: str) -> None:
    response = logged_in(moderator).get(address)
    assert response.status_code == 400
    assert "cannot read" in response.content.decode()


def test_an_enormous_limit_is_capped(api: APIClient, community: Community) -> None:
    send(community, *posts(3))
    response = api.get("/api/v1/members/", {"limit": "9223372036854775808"})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1


def test_an_enormous_offset_is_an_empty_page(api: APIClient, community: Community) -> None:
    send(community, *posts(3))
    response = api.get("/api/v1/members/", {"offset": "9223372036854775808"})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


def test_a_form_with_a_nul_is_a_400_and_saves_nothing(
    moderator: User, community: Community
) -> None:
    from incidents.models import Incident

    incident: Incident = declare_incident(
        community=community, title="Heated", severity="SEV2", actor=Actor.person(moderator)
    )
    before = TimelineEntry.objects.count()
    response = logged_in(moderator).post(
        f"/c/garden/incidents/{incident.pk}/notes/", {"text": "calm\x00down"}
    )
    assert response.status_code == 400
    assert "cannot read" in response.content.decode()
    assert TimelineEntry.objects.count() == before
