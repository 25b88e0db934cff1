"""The API any forum or bot builds on: identities and spaces."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from community.models import Community, ExternalIdentity, Membership, Space
from tests.conftest import api_client_for


def test_identities_are_upserted_and_answer_with_their_memberships(
    api: APIClient, community: Community
) -> None:
    body = {"source": "discourse", "identities": [{"external_id": "2288", "username": "rileyq"}]}
    first = api.post("/api/v1/identities/", body, format="json")
    assert first.status_code == 200, first.content
    [item] = first.json()["identities"]
    assert item["external_id"] == "2288" and item["display_name"] == "rileyq"
    assert item["claimed"] is False
    body["identities"][0]["username"] = "riley"
    second = api.post("/api/v1/identities/", body, format="json").json()["identities"][0]
    assert second["membership_id"] == item["membership_id"]
    assert ExternalIdentity.objects.get().username == "riley"
    assert Membership.objects.filter(community=community).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"identities": []},
        {"identities": [{"username": "no id"}]},
        {"identities": [{"external_id": "1"}, {"external_id": "1"}]},
        {"source": "not a slug!", "identities": [{"external_id": "1"}]},
        {"identities": [{"external_id": str(n)} for n in range(1001)]},
    ],
)
def test_bad_identity_input_is_refused_and_stores_nothing(api: APIClient, body: dict) -> None:
    assert api.post("/api/v1/identities/", body, format="json").status_code == 400
    assert not ExternalIdentity.objects.exists()


def test_writing_identities_needs_the_events_write_scope(community: Community) -> None:
    reader = api_client_for(community, "read")
    body = {"identities": [{"external_id": "1"}]}
    assert reader.post("/api/v1/identities/", body, format="json").status_code == 403
    assert APIClient().post("/api/v1/identities/", body, format="json").status_code == 401
    assert not ExternalIdentity.objects.exists()


def test_spaces_are_upserted_and_listed_for_the_keys_community_only(
    api: APIClient, community: Community, other_community: Community
) -> None:
    Space.objects.create(community=other_community, name="Not ours")
    body = {
        "source": "discourse",
        "spaces": [
            {"external_id": "category:5", "name": "Proposals", "kind": "category"},
            {"external_id": "topic:90412", "name": "Shared shed rota", "kind": "topic"},
        ],
    }
    response = api.post("/api/v1/spaces/", body, format="json")
    assert response.status_code == 200, response.content
    assert [s["external_id"] for s in response.json()] == ["category:5", "topic:90412"]
    listed = api.get("/api/v1/spaces/").json()
    assert listed["count"] == 2
    assert {s["name"] for s in listed["results"]} == {"Proposals", "Shared shed rota"}
    assert api.post("/api/v1/spaces/", body, format="json").status_code == 200
    assert Space.objects.filter(community=community).count() == 2


def test_bad_space_input_is_refused(api: APIClient) -> None:
    body = {"spaces": [{"external_id": "1", "name": "x", "kind": "planet"}]}
    assert api.post("/api/v1/spaces/", body, format="json").status_code == 400
    assert not Space.objects.exists()


def test_reading_spaces_needs_the_read_scope(community: Community) -> None:
    writer = api_client_for(community, "events:write")
    assert writer.get("/api/v1/spaces/").status_code == 403
    assert api_client_for(community, "read").get("/api/v1/spaces/").status_code == 200
