"""Who published a version: a person is named to everyone; an API key's name only to moderators
(everyone else reads that it came through the API)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from community.models import Community, ContractVersion
from tests.conftest import api_client_for
from tests.contract.helpers import HOSTILITY, publish_contract, save_clause

pytestmark = pytest.mark.django_db

PAGES = ["/c/garden/contract/", "/c/garden/contract/versions/", "/c/garden/contract/versions/1/"]


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def published_by_key(community: Community) -> ContractVersion:
    api = api_client_for(community, "read", "moderate")
    api.post(
        "/api/v1/clauses/",
        {
            "title": "No spam",
            "wording": "Share what you grow, not what you sell.",
            "total_kinds": ["post"],
            "bad_kinds": ["flag_upheld"],
            "target": "0.995",
        },
        format="json",
    )
    digest = api.get("/api/v1/contract/draft/").json()["draft_digest"]
    published = api.post(
        "/api/v1/contract/publish/", {"summary": "First", "draft_digest": digest}, format="json"
    )
    assert published.status_code == 201, published.content
    return ContractVersion.objects.get()


@pytest.mark.parametrize("who", [None, "member", "outsider"])
@pytest.mark.parametrize("path", PAGES)
def test_others_read_that_a_key_published_through_the_api(
    published_by_key: ContractVersion, request: pytest.FixtureRequest, who: str | None, path: str
) -> None:
    user = request.getfixturevalue(who) if who else None
    page = client_for(user).get(path).content.decode()
    assert "through the API" in page
    assert "API key" not in page
    assert "“test”" not in page


@pytest.mark.parametrize("path", PAGES)
def test_moderators_see_which_key_published(
    published_by_key: ContractVersion, moderator: User, path: str
) -> None:
    page = client_for(moderator).get(path).content.decode()
    assert "by API key “test”" in page


def test_a_person_who_published_is_named_to_everyone(community: Community, moderator: User) -> None:
    save_clause(community=community, definition=HOSTILITY)
    publish_contract(community=community, summary="First", by=moderator)
    for path in PAGES:
        page = Client().get(path).content.decode()
        assert f"by {moderator.username}" in page
        assert "through the API" not in page
