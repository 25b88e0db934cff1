"""Canary services, bad input, pages and API: start, gate, automatic rollback, promotion."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from community.contract.releases.canary import check_canary, promote_canary, start_canary
from community.contract.releases.council import (
    add_group,
    answer_draft,
    configure_council,
    withdraw_block,
)
from community.contract.releases.models import Canary, CanaryStatus
from community.contract.services import publish_contract
from community.models import AuditEntry, Community, ContractVersion, Membership, Notification, Space
from community.services import ServiceError
from tests.releases.helpers import burst, ready_for_trial

pytestmark = pytest.mark.django_db


def test_a_burst_in_the_trial_space_rolls_the_trial_back(
    community: Community, moderator: User
) -> None:
    _, trial, _ = ready_for_trial(community)
    canary = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=24, summary="Stricter", by=None
    )
    burst(community)
    assert check_canary(canary_id=canary.pk) == CanaryStatus.ROLLED_BACK
    canary.refresh_from_db()
    assert "version 1 applies again" in canary.outcome
    assert [e.kind for e in canary.entries.all()] == ["started", "gate_failed", "rolled_back"]
    assert (
        AuditEntry.objects.filter(
            action="releases:canary-rollback", community_id=community.pk
        ).count()
        == 1
    )
    assert Notification.objects.filter(kind="release_rolled_back").count() == 1
    assert ContractVersion.objects.filter(contract__community=community).count() == 1
    with pytest.raises(ServiceError, match="rolled back, so its version cannot be promoted"):
        promote_canary(canary=canary, by=None)
    assert ContractVersion.objects.filter(contract__community=community).count() == 1


def test_a_quiet_trial_is_promoted_after_its_duration(community: Community) -> None:
    _, trial, _ = ready_for_trial(community)
    canary = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=1, summary="Stricter", by=None
    )
    started = canary.entries.get(kind="started")
    assert started.words == f"Version 2 went on trial in {trial.name}, for 1 hour."
    Canary.objects.filter(pk=canary.pk).update(ends_at=canary.started_at)
    assert check_canary(canary_id=canary.pk) == CanaryStatus.PROMOTED
    canary.refresh_from_db()
    assert canary.promoted_version is not None and canary.promoted_version.number == 2


def test_publishing_while_a_trial_runs_is_refused(community: Community) -> None:
    _, trial, _ = ready_for_trial(community)
    start_canary(
        community=community, space_ids=[trial.pk], duration_hours=5, summary="Stricter", by=None
    )
    with pytest.raises(ServiceError, match="A trial is running"):
        publish_contract(community=community, summary="Now", by=None)


def test_a_trial_in_a_space_of_another_community_is_refused(
    community: Community, other_community: Community
) -> None:
    ready_for_trial(community)
    elsewhere = Space.objects.create(community=other_community, name="Openings", external_id="9")
    with pytest.raises(ServiceError, match="not spaces of this community"):
        start_canary(
            community=community, space_ids=[elsewhere.pk], duration_hours=5, summary="x", by=None
        )
    assert not Canary.objects.exists()


@pytest.mark.parametrize(
    ("hours", "summary", "message"),
    [(0, "x", "1 hour to 30 days"), (5, " ", "Say what this version changes")],
)
def test_bad_trial_input_changes_nothing(
    community: Community, hours: int, summary: str, message: str
) -> None:
    _, trial, _ = ready_for_trial(community)
    with pytest.raises(ServiceError, match=message):
        start_canary(
            community=community,
            space_ids=[trial.pk],
            duration_hours=hours,
            summary=summary,
            by=None,
        )
    assert not Canary.objects.exists()


def test_the_council_holds_publication_until_every_delegate_answers_and_a_block_is_withdrawn(
    community: Community, member_membership: Membership, moderator: User
) -> None:
    ready_for_trial(community)
    mod = Membership.objects.get(user=moderator, community=community)
    configure_council(community=community, enabled=True)
    a = add_group(community=community, name="Allotments", delegate=member_membership)
    b = add_group(community=community, name="Orchard", delegate=mod)
    with pytest.raises(ServiceError, match="waiting for Allotments, Orchard"):
        publish_contract(community=community, summary="Stricter", by=None)
    with pytest.raises(PermissionError, match="Only the delegate of Orchard"):
        answer_draft(community=community, group=b, membership=member_membership, kind="ratify")
    answer_draft(
        community=community,
        group=a,
        membership=member_membership,
        kind="block",
        reason="Too strict for newcomers",
    )
    answer_draft(community=community, group=b, membership=mod, kind="stand_aside")
    with pytest.raises(
        ServiceError, match="Allotments blocks this version: it waits until the block is withdrawn"
    ):
        publish_contract(community=community, summary="Stricter", by=None)
    answer_draft(community=community, group=b, membership=mod, kind="block", reason="Wait")
    with pytest.raises(
        ServiceError,
        match="Allotments, Orchard block this version: it waits until the blocks are withdrawn",
    ):
        publish_contract(community=community, summary="Stricter", by=None)
    withdraw_block(group=b, membership=mod)
    answer_draft(community=community, group=b, membership=mod, kind="stand_aside")
    withdraw_block(group=a, membership=member_membership)
    version = publish_contract(community=community, summary="Stricter", by=None)
    assert version.number == 2


def test_the_contract_page_marks_the_trial_for_a_member_who_posts_there(
    client: Client, community: Community, member: User, member_membership: Membership
) -> None:
    _, trial, _ = ready_for_trial(community)
    start_canary(
        community=community, space_ids=[trial.pk], duration_hours=5, summary="Stricter", by=None
    )
    body = client.get(f"/c/{community.slug}/contract/").content.decode()
    assert "Trial" in body and "is on trial in Space 2" in body


def test_the_api_starts_a_trial_refuses_another_communitys_space_and_rolls_back(
    api: APIClient, community: Community, other_community: Community
) -> None:
    _, trial, _ = ready_for_trial(community)
    elsewhere = Space.objects.create(community=other_community, name="Openings", external_id="9")
    refused = api.post(
        "/api/v1/canaries/",
        {"summary": "x", "space_ids": [elsewhere.pk], "duration_hours": 5},
        format="json",
    )
    assert refused.status_code == 400 and "not spaces of this community" in refused.json()["detail"]
    created = api.post(
        "/api/v1/canaries/",
        {
            "summary": "Stricter",
            "space_ids": [trial.pk],
            "duration_hours": 5,
            "sli_drop_points": "2",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert Canary.objects.get(pk=pk).sli_drop_points == Decimal("2")
    assert api.post(f"/api/v1/canaries/{pk}/rollback/").json()["status"] == "rolled_back"
    again = api.post(f"/api/v1/canaries/{pk}/promote/")
    assert again.status_code == 400 and "cannot be promoted" in again.json()["detail"]
    assert api.get("/api/v1/contract/versions/1/health/").status_code == 200
