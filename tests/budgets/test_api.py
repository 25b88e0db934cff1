"""The budgets API: members with budgets, a ledger, charges, forgiveness and the policy."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from budgets.models import Charge, Forgiveness, ForgivenessPolicy, PolicyVersion, RecalcFlag
from budgets.recalculation import recalculate_community
from community.models import Community
from tests.budgets.helpers import event, membership, posts, send
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(community: Community, other_community: Community) -> None:
    send(community, *posts(200, member="1"), event("flag_upheld", member="1", severity="moderate"))
    send(community, event("flag_upheld", member="1", severity="minor"))
    send(community, event("moderator_warning", member="1", severity="minor"))
    send(community, *posts(20, member="2"))
    for _ in range(4):
        send(community, event("moderator_warning", member="2", severity="moderate"))
    send(other_community, *posts(3, member="1"))
    recalculate_community(community=community)
    recalculate_community(community=other_community)


def test_members_carry_their_budget(api: APIClient, history: None, community: Community) -> None:
    response = api.get("/api/v1/members/", {"source": "api", "external_id": "1"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    member = body["results"][0]
    assert member["identities"] == [{"source": "api", "external_id": "1", "username": "user1"}]
    # DESIGN.md's worked example with the default floor: 200 posts, charges 3 + 1 + 1.
    assert member["budget"] == {
        "activity": 200,
        "allowance": "10.0000",
        "spent": "5.0000",
        "remaining": "5.0000",
        "remaining_ratio": "0.500000",
        "tier": "warning",
        "recovers_at": member["budget"]["recovers_at"],
    }


def test_members_filter_by_tier_and_stay_in_their_community(api: APIClient, history: None) -> None:
    exhausted = api.get("/api/v1/members/", {"tier": "exhausted"}).json()
    assert [m["display_name"] for m in exhausted["results"]] == ["user2"]
    everyone = api.get("/api/v1/members/").json()
    assert everyone["count"] == 2  # not the other community's member


@pytest.mark.parametrize("params", [{"tier": "doomed"}, {"external_id": "1"}])
def test_bad_member_filters_are_refused(api: APIClient, history: None, params: dict) -> None:
    assert api.get("/api/v1/members/", params).status_code == 400


def test_a_ledger_lists_charges_forgiveness_and_transitions(
    api: APIClient, history: None, community: Community
) -> None:
    member = membership(community, "2")
    body = api.get(f"/api/v1/members/{member.pk}/ledger/").json()
    assert len(body["charges"]) == 4
    assert body["transitions"][0]["to_tier"] == "exhausted"
    assert body["member"]["budget"]["tier"] == "exhausted"


def test_another_communitys_ledger_is_not_found(
    history: None, other_community: Community, community: Community
) -> None:
    client = api_client_for(other_community, "read")
    member = membership(community, "2")
    assert client.get(f"/api/v1/members/{member.pk}/ledger/").status_code == 404


def test_moderate_scope_creates_a_charge_and_forgives_it(
    api: APIClient, history: None, community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    member = membership(community, "1")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/charges/",
            {
                "member_id": member.pk,
                "kind": "moderator_warning",
                "severity": "severe",
                "reason": "Threat in a DM, reported",
                "occurred_at": "2026-11-20T10:00:00Z",
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    charge_id = response.json()["id"]
    assert response.json()["cost"] == "8.00"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/forgiveness/",
            {"charge_ids": [charge_id], "reason": "Misattributed", "kind": "grace"},
            format="json",
        )
    assert response.status_code == 201
    assert response.json()["already_released"] == []
    again = api.post(
        "/api/v1/forgiveness/", {"charge_ids": [charge_id], "reason": "x"}, format="json"
    )
    assert again.json()["already_released"] == [charge_id]
    assert Forgiveness.objects.filter(charge_id=charge_id).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "post"},
        {"severity": "catastrophic"},
        {"cost": "-1"},
        {"cost": "5000"},
        {"reason": ""},
        {"member_id": 999999},
        {"occurred_at": "2999-01-01T00:00:00Z"},
    ],
)
def test_bad_charges_are_refused_and_store_nothing(
    api: APIClient, history: None, community: Community, body: dict
) -> None:
    before = Charge.objects.count()
    payload = {
        "member_id": membership(community, "1").pk,
        "kind": "moderator_warning",
        "severity": "minor",
        "reason": "r",
        "occurred_at": "2026-11-20T10:00:00Z",
    } | body
    assert api.post("/api/v1/charges/", payload, format="json").status_code == 400
    assert Charge.objects.count() == before


def test_writes_need_the_moderate_scope(community: Community, history: None) -> None:
    reader = api_client_for(community, "read", "events:write")
    assert reader.post("/api/v1/charges/", {}, format="json").status_code == 403
    assert reader.put("/api/v1/budget-policy/", {}, format="json").status_code == 403
    assert reader.get("/api/v1/budget-policy/").status_code == 200


def test_forgiving_another_communitys_charge_is_refused(
    history: None, other_community: Community
) -> None:
    client = api_client_for(other_community, "moderate")
    ids = list(Charge.objects.values_list("pk", flat=True))
    response = client.post(
        "/api/v1/forgiveness/", {"charge_ids": ids, "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert not Forgiveness.objects.exists()


def test_the_policy_is_read_and_replaced_as_a_new_version(
    api: APIClient, community: Community
) -> None:
    body = api.get("/api/v1/budget-policy/").json()
    assert body["member_target"] == "0.95" and body["floor_points"] == "10"
    assert body["costs"]["flag_upheld"] == {"minor": "1", "moderate": "3", "severe": "8"}
    response = api.put(
        "/api/v1/budget-policy/",
        {"window_days": 45, "member_target": None, "note": "fixed allowance"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert response.json()["member_target"] is None
    assert PolicyVersion.objects.get(version=2).note == "fixed allowance"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"window_days": 0}, "window_days"),
        ({"member_target": "1.2"}, "member_target"),
        ({"floor_points": "-3"}, "floor_points"),
        ({"costs": {"flag_upheld": {"minor": "1", "moderate": "3", "severe": "99999"}}}, "costs"),
        ({"tier_actions": {"healthy": ["private_nudge"]}}, "tier_actions"),
    ],
)
def test_a_policy_out_of_range_is_refused_with_a_message(
    api: APIClient, community: Community, body: dict, field: str
) -> None:
    api.get("/api/v1/budget-policy/")
    response = api.put("/api/v1/budget-policy/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert ForgivenessPolicy.objects.get().version == 1


def test_budgets_by_tier_are_exported_as_metrics(client: Any, history: None) -> None:
    text = client.get("/metrics").content.decode()
    assert 'csre_member_budgets{community="garden",tier="exhausted"} 1.0' in text
    assert 'csre_member_budgets{community="garden",tier="warning"} 1.0' in text
    assert 'csre_budget_recalculation_seconds{community="garden",kind="full"}' in text


def test_the_member_list_takes_a_fixed_number_of_queries(
    api: APIClient, community: Community, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        send(community, *posts(2, member=str(n)), event("moderator_warning", member=str(n)))
    recalculate_community(community=community)
    # key lookup, count, page with budgets, identities
    with django_assert_max_num_queries(5):
        body = api.get("/api/v1/members/", {"limit": 20}).json()
    assert body["count"] == 30 and len(body["results"]) == 20
    assert all(m["budget"]["spent"] == "3.0000" for m in body["results"])


@pytest.mark.parametrize(
    "body", [{}, {"note": "just saving"}, {"window_days": 30, "floor_points": "10.0"}]
)
def test_a_policy_update_that_changes_nothing_is_refused_and_saves_no_version(
    api: APIClient, community: Community, body: dict
) -> None:
    api.get("/api/v1/budget-policy/")
    for _ in range(3):
        response = api.put("/api/v1/budget-policy/", body, format="json")
        assert response.status_code == 400, response.content
        assert "Nothing changed" in response.json()["errors"]["policy"]
    assert ForgivenessPolicy.objects.get().version == 1
    assert PolicyVersion.objects.count() == 1
    assert not RecalcFlag.objects.filter(full_requested_at__isnull=False).exists()
