"""The postmortems API: create for an incident, update sections (409 when stale), publish as
an explicit action (refused without a guardrail), and action items a tracker can mark done."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from community.models import Clause, Community, ContractVersion, Membership
from incidents.models import Incident
from incidents.postmortems.models import ActionItem, Postmortem
from tests.conftest import api_client_for
from tests.postmortems.helpers import section, written_up


def test_a_postmortem_is_created_for_a_resolved_incident_and_read_in_full(
    community: Community, incident: Incident
) -> None:
    api = api_client_for(community, "read", "moderate")
    created = api.post("/api/v1/postmortems/", {"incident_id": incident.pk}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == "draft" and body["incident_id"] == incident.pk
    assert [s["key"] for s in body["sections"]][:3] == ["summary", "impact", "timeline"]
    again = api.post("/api/v1/postmortems/", {"incident_id": incident.pk}, format="json")
    assert again.status_code == 400 and "already has a postmortem" in again.json()["detail"]
    assert Postmortem.objects.count() == 1
    listed = api.get("/api/v1/postmortems/").json()
    assert [d["id"] for d in listed] == [body["id"]]


def test_sections_are_updated_with_their_version_and_a_stale_one_is_409(
    community: Community, doc: Postmortem
) -> None:
    api = api_client_for(community, "moderate")
    path = f"/api/v1/postmortems/{doc.pk}/sections/lessons/"
    v = section(doc, "lessons").version
    first = api.put(path, {"body": "Pin the rules.", "version": v}, format="json")
    assert first.status_code == 200 and first.json()["version"] == v + 1
    stale = api.put(path, {"body": "Something else.", "version": v}, format="json")
    assert stale.status_code == 409 and "Someone else changed" in stale.json()["detail"]
    unknown = api.put(
        f"/api/v1/postmortems/{doc.pk}/sections/verdict/",
        {"body": "x", "version": 1},
        format="json",
    )
    assert unknown.status_code == 400
    assert section(doc, "lessons").body == "Pin the rules."


def test_publishing_without_a_guardrail_is_refused_then_works_with_one(
    community: Community,
    doc: Postmortem,
    mod_membership: Membership,
    clause: Clause,
    version: ContractVersion,
) -> None:
    api = api_client_for(community, "read", "moderate")
    written_up(doc)
    review = api.post(
        f"/api/v1/postmortems/{doc.pk}/review/", {"version": doc.version}, format="json"
    )
    assert review.status_code == 200 and review.json()["state"] == "in_review"
    v = review.json()["version"]
    refused = api.post(f"/api/v1/postmortems/{doc.pk}/publish/", {"version": v}, format="json")
    assert refused.status_code == 400
    assert "at least one guardrail action item" in refused.json()["detail"]
    item = api.post(
        f"/api/v1/postmortems/{doc.pk}/action-items/",
        {
            "title": "Name quoting in the hostility clause",
            "kind": "clause",
            "owner_id": mod_membership.pk,
            "due_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
            "verification_criterion": "Hostility flags stay under 2 % for a week.",
            "contract_version": version.number,
            "verify_clause_id": clause.pk,
            "verify_target": "0.98",
            "verify_window_days": 7,
        },
        format="json",
    )
    assert item.status_code == 201, item.json()
    published = api.post(f"/api/v1/postmortems/{doc.pk}/publish/", {"version": v}, format="json")
    assert published.status_code == 200 and published.json()["state"] == "published"


def test_a_tracker_marks_an_action_item_done_and_it_starts_verifying(
    community: Community,
    doc: Postmortem,
    mod_membership: Membership,
    clause: Clause,
    version: ContractVersion,
) -> None:
    api = api_client_for(community, "read", "moderate")
    created = api.post(
        f"/api/v1/postmortems/{doc.pk}/action-items/",
        {
            "title": "Name quoting in the hostility clause",
            "kind": "clause",
            "owner_id": mod_membership.pk,
            "due_on": "2030-01-01",
            "verification_criterion": "Fewer flags.",
            "contract_version": version.number,
            "verify_clause_id": clause.pk,
            "verify_target": "0.98",
            "verify_window_days": 7,
        },
        format="json",
    ).json()
    path = f"/api/v1/action-items/{created['id']}/status/"
    by_hand = api.post(path, {"status": "verified", "version": 1}, format="json")
    assert by_hand.status_code == 400
    done = api.post(path, {"status": "done", "version": created["version"]}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "verifying"
    stale = api.post(path, {"status": "reopened", "version": created["version"]}, format="json")
    assert stale.status_code == 409
    listed = api.get("/api/v1/action-items/?status=verifying").json()
    assert [i["id"] for i in listed] == [created["id"]]


def test_bad_references_are_refused_and_nothing_is_stored(
    community: Community, other_community: Community, doc: Postmortem, mod_membership: Membership
) -> None:
    api = api_client_for(community, "moderate")
    base = {
        "title": "Pin it",
        "kind": "clause",
        "owner_id": mod_membership.pk,
        "due_on": "2030-01-01",
    }
    for extra, detail in [
        ({"verify_clause_id": 999999, "verify_target": "0.9", "verify_window_days": 3}, "clause"),
        ({"contract_version": 42}, "contract version"),
        ({"owner_id": 999999}, "member"),
    ]:
        response = api.post(
            f"/api/v1/postmortems/{doc.pk}/action-items/", {**base, **extra}, format="json"
        )
        assert response.status_code == 400, response.json()
        assert detail in response.json()["detail"]
    missing = api.post(f"/api/v1/postmortems/{doc.pk}/action-items/", {"title": "x"}, format="json")
    assert missing.status_code == 400
    assert not ActionItem.objects.exists()
    # Another community's key does not see this postmortem at all.
    other = api_client_for(other_community, "read", "moderate")
    assert other.get(f"/api/v1/postmortems/{doc.pk}/").status_code == 404
