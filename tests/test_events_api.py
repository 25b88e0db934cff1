"""POST /api/v1/events/: the batch ingest contract other forums and bots code against."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import Community, ConductEvent, ExternalIdentity, Space
from community.services import create_api_key, revoke_api_key
from tests.conftest import api_client_for

URL = "/api/v1/events/"


def post_event(**overrides: Any) -> dict[str, Any]:
    event = {
        "external_id": "p-90412",
        "kind": "post",
        "occurred_at": "2026-11-20T10:00:00Z",
        "member": {"external_id": "2288", "username": "rileyq"},
        "space": {"external_id": "5", "name": "Proposals"},
        "subject": "p-90412",
        "category": "",
        "severity": "",
    }
    event.update(overrides)
    return event


def test_the_documented_example_is_accepted(api: APIClient, community: Community) -> None:
    response = api.post(URL, {"events": [post_event()]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"accepted": 1, "duplicates": 0}
    event = ConductEvent.objects.get()
    assert (event.kind, event.source, event.external_id) == ("post", "api", "p-90412")
    assert event.member is not None and event.member.display_name == "rileyq"
    assert event.member.user is None  # seen only on the forum: no login until claimed
    assert event.space == Space.objects.get(community=community, external_id="5", name="Proposals")
    assert ExternalIdentity.objects.get().username == "rileyq"


def test_resending_a_batch_stores_nothing_twice(api: APIClient) -> None:
    batch = {"events": [post_event(), post_event(external_id="p-2", subject="p-2")]}
    assert api.post(URL, batch, format="json").json() == {"accepted": 2, "duplicates": 0}
    assert api.post(URL, batch, format="json").json() == {"accepted": 0, "duplicates": 2}
    assert ConductEvent.objects.count() == 2


def test_a_repeat_inside_one_batch_counts_as_a_duplicate(api: APIClient) -> None:
    response = api.post(URL, {"events": [post_event(), post_event()]}, format="json")
    assert response.json() == {"accepted": 1, "duplicates": 1}


def test_the_same_external_id_from_another_source_is_another_event(api: APIClient) -> None:
    api.post(URL, {"events": [post_event()]}, format="json")
    response = api.post(URL, {"source": "matrix", "events": [post_event()]}, format="json")
    assert response.json() == {"accepted": 1, "duplicates": 0}
    assert sorted(ConductEvent.objects.values_list("source", flat=True)) == ["api", "matrix"]


def test_friction_without_severity_takes_the_category_default(api: APIClient) -> None:
    events = [
        post_event(external_id="f1", kind="flag_upheld", category="off_topic"),
        post_event(external_id="f2", kind="flag_upheld", category="illegal"),
        post_event(external_id="f3", kind="flag_upheld", category="something_custom"),
        post_event(external_id="f4", kind="moderator_warning", severity="severe"),
    ]
    assert api.post(URL, {"events": events}, format="json").status_code == 200
    got = dict(ConductEvent.objects.values_list("external_id", "severity"))
    assert got == {"f1": "minor", "f2": "severe", "f3": "moderate", "f4": "severe"}


def test_a_member_seen_again_is_the_same_membership(api: APIClient, community: Community) -> None:
    api.post(URL, {"events": [post_event()]}, format="json")
    renamed = post_event(external_id="p-2", member={"external_id": "2288", "username": "riley"})
    api.post(URL, {"events": [renamed]}, format="json")
    assert community.memberships.count() == 1
    assert ExternalIdentity.objects.get().username == "riley"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"kind": "rant"}, "kind"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"external_id": ""}, "external_id"),
        ({"severity": "catastrophic"}, "severity"),
        ({"kind": "flag_upheld", "member": None}, "member"),
        ({"member": {"username": "no id"}}, "member.external_id"),
        ({"space": {"external_id": "1", "kind": "galaxy"}}, "space.kind"),
    ],
)
def test_one_bad_item_rejects_the_whole_batch_naming_it(
    api: APIClient, bad: dict[str, Any], field: str
) -> None:
    events = [post_event(external_id="good-1"), post_event(**{"external_id": "bad-1", **bad})]
    response = api.post(URL, {"events": events}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The batch was rejected; nothing was stored."
    assert [(e["index"], e["field"]) for e in body["errors"]] == [(1, field)]
    assert ConductEvent.objects.count() == 0


def test_missing_occurred_at_is_named(api: APIClient) -> None:
    event = post_event()
    del event["occurred_at"]
    response = api.post(URL, {"events": [event]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "occurred_at"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "events"),
        ({"events": []}, "events"),
        ({"events": "post"}, "events"),
        ({"events": [post_event()], "source": "has spaces"}, "source"),
    ],
)
def test_a_malformed_batch_is_rejected(api: APIClient, body: dict[str, Any], field: str) -> None:
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}
    assert ConductEvent.objects.count() == 0


def test_more_than_1000_events_is_rejected(api: APIClient) -> None:
    events = [post_event(external_id=f"p{i}") for i in range(1001)]
    response = api.post(URL, {"events": events}, format="json")
    assert response.status_code == 400
    assert "1000" in response.json()["errors"][0]["message"]
    assert ConductEvent.objects.count() == 0


def test_exactly_1000_events_is_fine(api: APIClient) -> None:
    events = [post_event(external_id=f"p{i}", subject=f"p{i}") for i in range(1000)]
    assert api.post(URL, {"events": events}, format="json").json()["accepted"] == 1000


def test_invalid_json_is_a_400(api: APIClient) -> None:
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert ConductEvent.objects.count() == 0


def test_no_key_is_401(community: Community) -> None:
    response = APIClient().post(URL, {"events": [post_event()]}, format="json")
    assert response.status_code == 401
    assert "Bearer" in response["WWW-Authenticate"]
    assert ConductEvent.objects.count() == 0


@pytest.mark.parametrize(
    "header",
    ["Bearer nope", "Bearer csre_000000000000_wrong", "Bearer", "Bearer a b", "Bearer csre_x"],
)
def test_a_wrong_key_is_401(community: Community, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.post(URL, {"events": [post_event()]}, format="json")
    assert response.status_code == 401
    assert ConductEvent.objects.count() == 0


def test_a_tampered_key_with_a_real_lookup_is_401(community: Community) -> None:
    _, key = create_api_key(community=community, name="k", scopes=["events:write"], by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key[:-2]}xx")
    assert client.post(URL, {"events": [post_event()]}, format="json").status_code == 401


def test_a_revoked_key_is_401(community: Community) -> None:
    key, secret = create_api_key(community=community, name="k", scopes=["events:write"], by=None)
    revoke_api_key(key=key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.post(URL, {"events": [post_event()]}, format="json")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert ConductEvent.objects.count() == 0


def test_a_key_without_the_scope_is_403(community: Community) -> None:
    client = api_client_for(community, "read")
    response = client.post(URL, {"events": [post_event()]}, format="json")
    assert response.status_code == 403
    assert "events:write" in response.json()["detail"]
    assert ConductEvent.objects.count() == 0


def test_events_land_in_the_keys_own_community(
    community: Community, other_community: Community
) -> None:
    client = api_client_for(other_community, "events:write")
    client.post(URL, {"events": [post_event()]}, format="json")
    assert ConductEvent.objects.get().community == other_community
    assert not community.events.exists()


def test_using_a_key_records_when(community: Community) -> None:
    key, secret = create_api_key(community=community, name="k", scopes=["events:write"], by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    before = timezone.now()
    client.post(URL, {"events": [post_event()]}, format="json")
    key.refresh_from_db()
    assert key.last_used_at is not None and key.last_used_at >= before


def test_keys_are_stored_only_as_hashes(community: Community) -> None:
    key, secret = create_api_key(community=community, name="k", scopes=["read"], by=None)
    assert secret not in str(key.__dict__)
    assert len(key.key_hash) == 64


def test_ingest_is_a_constant_number_of_queries(
    api: APIClient, django_assert_max_num_queries: Any
) -> None:
    events = [
        post_event(
            external_id=f"p{i}",
            member={"external_id": str(i % 50), "username": f"u{i % 50}"},
            space={"external_id": str(i % 5), "name": f"s{i % 5}"},
        )
        for i in range(500)
    ]
    # Whatever the batch size: the key, the community, the known events, identities, members
    # and spaces (read and bulk-written), the events, whether any clause is live, the policy
    # (made on first use here), the trial lookups (a running trial's rules and costs), the
    # dirty marks.
    with django_assert_max_num_queries(22):
        response = api.post(URL, {"events": events}, format="json")
    assert response.json() == {"accepted": 500, "duplicates": 0}


# --- Hostile input: refused with a 400 that names the item, never a 500 -------------------


@pytest.mark.parametrize(
    "occurred_at",
    [
        "2026-02-30T10:00:00Z",
        "2026-13-01T10:00:00Z",
        "2026-11-20T25:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2026-11-20T10:00:00+25:00",
    ],
)
def test_an_impossible_time_is_refused_for_that_item(api: APIClient, occurred_at: str) -> None:
    batch = {"events": [post_event(external_id="ok"), post_event(occurred_at=occurred_at)]}
    response = api.post(URL, batch, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "occurred_at")]
    assert not ConductEvent.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"text": "a\x00b"},
        {"a\x00": "key with a NUL"},
        {"text": "\ud800"},
        {"nested": [{"deeper": "x\x00"}]},
    ],
)
def test_a_payload_the_database_cannot_store_is_refused(
    api: APIClient, payload: dict[str, Any]
) -> None:
    body = json.dumps({"events": [post_event(payload=payload)]})
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["payload"]
    assert not ConductEvent.objects.exists()


def test_an_external_id_with_a_lone_surrogate_is_refused_and_the_error_renders(
    api: APIClient,
) -> None:
    body = (
        '{"events": [{"external_id": "p-\\ud800", "kind": "post",'
        ' "occurred_at": "2026-11-20T10:00:00Z"}]}'
    )
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert error["field"] == "external_id" and error["external_id"] == "p-\ufffd"
    assert not ConductEvent.objects.exists()


def test_json_nested_100000_deep_is_a_400(api: APIClient) -> None:
    body = '{"events": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = api.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_payload_nested_past_the_limit_is_a_400(api: APIClient) -> None:
    payload: dict[str, Any] = {}
    inner = payload
    for _ in range(40):
        inner["x"] = {}
        inner = inner["x"]
    response = api.post(URL, {"events": [post_event(payload=payload)]}, format="json")
    assert response.status_code == 400
    assert "nested more than 32 levels" in response.json()["detail"]


def test_a_form_encoded_body_is_refused_as_unsupported(api: APIClient) -> None:
    response = api.post(URL, {"events": "x"})  # multipart, the test client's default
    assert response.status_code == 415
