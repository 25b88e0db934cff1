"""The incidents API: scopes, the key's community only, conflicts as 409, bad input as 400."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import Community
from incidents import services
from incidents.models import Cooldown, Incident
from tests.conftest import api_client_for
from tests.incidents.conftest import fresh


@pytest.fixture
def reader(community: Community) -> APIClient:
    return api_client_for(community, "read")


def test_declare_list_and_read_an_incident(api: APIClient, space, member_membership) -> None:
    response = api.post(
        "/api/v1/incidents/",
        {
            "title": "Proposals: heated",
            "severity": "SEV3",
            "space_ids": [space.pk],
            "party_ids": [member_membership.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["version"], body["detected_by"]) == ("declared", 1, "api")
    assert body["spaces"] == [{"id": space.pk, "name": "Proposals", "kind": "category"}]
    incident = Incident.objects.get()
    assert incident.timeline.get().by == "API key “test”"
    listed = api.get("/api/v1/incidents/").json()
    assert [i["id"] for i in listed] == [incident.pk]
    assert api.get(f"/api/v1/incidents/{incident.pk}/").json()["steps"] == []


def test_a_read_key_can_list_but_not_declare(reader: APIClient, incident) -> None:
    assert reader.get("/api/v1/incidents/").status_code == 200
    response = reader.post("/api/v1/incidents/", {"title": "x", "severity": "SEV2"}, format="json")
    assert response.status_code == 403
    assert Incident.objects.count() == 1


def test_another_communitys_key_sees_nothing(other_community, incident) -> None:
    client = api_client_for(other_community, "read", "moderate")
    assert client.get("/api/v1/incidents/").json() == []
    assert client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 404
    response = client.patch(
        f"/api/v1/incidents/{incident.pk}/", {"version": 1, "status": "resolved"}, format="json"
    )
    assert response.status_code == 404
    assert fresh(incident).status == "declared"


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "x", "severity": "SEV7"},
        {"severity": "SEV2"},
        {"title": "x", "severity": "SEV3"},
        {"title": "x", "severity": "SEV2", "space_ids": [99999]},
    ],
)
def test_bad_declarations_are_400_and_store_nothing(api: APIClient, community, payload) -> None:
    assert api.post("/api/v1/incidents/", payload, format="json").status_code == 400
    assert not Incident.objects.exists()


def test_transitions_check_the_version_and_the_order(api: APIClient, incident) -> None:
    url = f"/api/v1/incidents/{incident.pk}/"
    ok = api.patch(url, {"version": 1, "status": "mitigating"}, format="json")
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    stale = api.patch(url, {"version": 1, "status": "resolved"}, format="json")
    assert stale.status_code == 409
    assert "Reload" in stale.json()["detail"]
    wrong = api.patch(url, {"version": 2, "status": "closed"}, format="json")
    assert wrong.status_code == 400
    assert "cannot become closed" in wrong.json()["detail"]
    assert fresh(incident).status == "mitigating"


def test_cooldowns_start_extend_and_lift(api: APIClient, incident, space) -> None:
    ends = timezone.now() + timedelta(hours=1)
    response = api.post(
        "/api/v1/cooldowns/",
        {
            "space_id": space.pk,
            "mode": "slow_mode",
            "slow_mode_seconds": 60,
            "ends_at": ends.isoformat(),
            "incident_id": incident.pk,
            "version": 1,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    cd = Cooldown.objects.get()
    assert fresh(incident).status == "mitigating"
    assert [c["id"] for c in api.get("/api/v1/cooldowns/").json()] == [cd.pk]
    later = ends + timedelta(minutes=30)
    response = api.post(
        f"/api/v1/cooldowns/{cd.pk}/extend/", {"ends_at": later.isoformat()}, format="json"
    )
    assert response.status_code == 200
    assert api.post(f"/api/v1/cooldowns/{cd.pk}/lift/", {}, format="json").status_code == 400
    response = api.post(f"/api/v1/cooldowns/{cd.pk}/lift/", {"reason": "calm"}, format="json")
    assert response.json()["end_reason"] == "lifted"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": None}, "needs an end"),
        ({"ends_at": "+25h"}, "maximum"),
        ({"space_id": "other"}, "Unknown space"),
    ],
)
def test_bad_cooldowns_are_400_and_change_nothing(
    api: APIClient, space, other_space, change, message
) -> None:
    payload = {
        "space_id": space.pk,
        "mode": "read_only",
        "ends_at": (timezone.now() + timedelta(hours=1)).isoformat(),
    }
    payload.update(change)
    if payload["ends_at"] == "+25h":
        payload["ends_at"] = (timezone.now() + timedelta(hours=25)).isoformat()
    if payload["space_id"] == "other":
        payload["space_id"] = other_space.pk
    response = api.post("/api/v1/cooldowns/", payload, format="json")
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Cooldown.objects.exists()


def test_runbook_and_steps_through_the_api(
    api: APIClient, incident, runbook_a, django_capture_on_commit_callbacks
) -> None:
    url = f"/api/v1/incidents/{incident.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            url + "runbooks/", {"version": 1, "runbook_id": runbook_a.pk}, format="json"
        )
    assert response.status_code == 201
    steps = api.get(url).json()["steps"]
    assert [s["status"] for s in steps] == ["done", "done", "done", "pending", "pending", "pending"]
    checklist = steps[3]
    version = fresh(incident).version
    stale = api.post(url + f"steps/{checklist['id']}/", {"version": version - 1}, format="json")
    assert stale.status_code == 409
    with django_capture_on_commit_callbacks(execute=True):
        done = api.post(url + f"steps/{checklist['id']}/", {"version": version}, format="json")
    assert done.status_code == 200
    assert api.get(url).json()["steps"][3]["status"] == "done"


def test_listing_keeps_its_query_count_flat(
    api: APIClient, community, space, mod_actor, django_assert_max_num_queries
) -> None:
    for n in range(8):
        services.declare_incident(
            community=community, title=f"I{n}", severity="SEV3", spaces=[space], actor=mod_actor
        )
    with django_assert_max_num_queries(6):
        assert len(api.get("/api/v1/incidents/").json()) == 8


def test_a_read_key_sees_cooldowns_but_cannot_change_one(
    reader: APIClient, community, space, mod_actor
) -> None:
    cd = services.start_cooldown(
        community=community,
        space=space,
        mode="read_only",
        ends_at=timezone.now() + timedelta(hours=1),
        actor=mod_actor,
    )
    assert [c["id"] for c in reader.get("/api/v1/cooldowns/").json()] == [cd.pk]
    response = reader.post(f"/api/v1/cooldowns/{cd.pk}/lift/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert fresh_cooldown(cd).ended_at is None


def test_another_communitys_cooldown_is_404_with_the_helpers_message(
    other_community, community, space, mod_actor
) -> None:
    cd = services.start_cooldown(
        community=community,
        space=space,
        mode="read_only",
        ends_at=timezone.now() + timedelta(hours=1),
        actor=mod_actor,
    )
    other = api_client_for(other_community, "read", "moderate")
    response = other.post(f"/api/v1/cooldowns/{cd.pk}/lift/", {"reason": "x"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such cooldown."}


def test_a_service_refusal_is_a_400_with_its_words(api: APIClient, community, space, mod_actor):
    cd = services.start_cooldown(
        community=community,
        space=space,
        mode="read_only",
        ends_at=timezone.now() + timedelta(hours=1),
        actor=mod_actor,
    )
    services.lift_cooldown(cooldown=cd, reason="calm", actor=mod_actor)
    later = (timezone.now() + timedelta(hours=2)).isoformat()
    response = api.post(f"/api/v1/cooldowns/{cd.pk}/extend/", {"ends_at": later}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "This cooldown has already ended; start a new one if needed."
    }


def fresh_cooldown(cd: Cooldown) -> Cooldown:
    return Cooldown.objects.get(pk=cd.pk)
