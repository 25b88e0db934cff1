"""A trial of the budget policy's costs: charges in the trial spaces cost the trial's, the
same gate rolls it back (audit entry, notice, the policy in force back), promotion saves it as
the next policy version; bad input is refused and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from budgets.models import Charge, ForgivenessPolicy
from budgets.services import get_policy, update_policy
from community.contract.releases.canary import (
    check_canary,
    promote_canary,
)
from community.contract.releases.models import Canary, CanaryStatus
from community.contract.releases.policy_trial import start_policy_trial
from community.models import AuditEntry, Community, Notification, Space
from community.services import ConflictError, EventInput, ServiceError, ingest_events
from tests.releases.helpers import burst, ready_for_trial

pytestmark = pytest.mark.django_db

STRICTER = {"flag_upheld": {"minor": "2", "moderate": "6", "severe": "12"}}


def _flag(community: Community, space: str, name: str) -> Charge:
    at = timezone.now() - timedelta(minutes=30)
    ingest_events(
        community=community,
        events=[
            EventInput(
                external_id=name,
                kind="flag_upheld",
                occurred_at=at,
                member_external_id="100",
                space_external_id=space,
                space_name=f"Space {space}",
                subject=f"{name}-post",
                category="inappropriate",
                severity="moderate",
                recorded_at=at,
            )
        ],
    )
    return Charge.objects.get(event__external_id=name)


def _trial(community: Community, space: Space, hours: int = 24) -> Canary:
    return start_policy_trial(
        community=community,
        space_ids=[space.pk],
        duration_hours=hours,
        summary="Upheld flags cost twice as much",
        costs=STRICTER,
        by=None,
    )


def test_charges_in_the_trial_spaces_cost_what_the_trial_says(
    client: Client, community: Community, moderator: User
) -> None:
    _, trial, _ = ready_for_trial(community)
    canary = _trial(community, trial)
    assert canary.is_policy and canary.number == 2 and canary.base_policy_version == 1
    inside, outside = _flag(community, "2", "in"), _flag(community, "3", "out")
    assert inside.cost == Decimal("6") and outside.cost == Decimal("3")
    assert "on trial here" in inside.reason and "trial" not in outside.reason
    assert get_policy(community=community).version == 1
    client.force_login(moderator)
    page = client.get(f"/c/{community.slug}/budgets/members/{inside.membership_id}/")
    body = page.content.decode()
    assert "Version 2 of the budget policy is on trial in Space 2" in body
    assert "posts in Space 2" in body
    assert (
        "<strong>Upheld flags</strong>: minor 2 points, moderate 6 points, severe 12 points "
        "(elsewhere minor 1 point, moderate 3 points, severe 8 points)"
    ) in body
    contract = client.get(f"/c/{community.slug}/contract/").content.decode()
    assert "Version 2 of the budget policy is on trial in Space 2" in contract


def test_a_held_policy_trial_is_promoted_to_the_next_policy_version(
    community: Community,
) -> None:
    _, trial, _ = ready_for_trial(community)
    canary = _trial(community, trial, hours=1)
    Canary.objects.filter(pk=canary.pk).update(ends_at=canary.started_at)
    assert check_canary(canary_id=canary.pk) == CanaryStatus.PROMOTED
    canary.refresh_from_db()
    policy = get_policy(community=community)
    assert (policy.version, canary.promoted_policy_version) == (2, 2)
    assert policy.cost_for("flag_upheld", "moderate") == Decimal("6")
    assert policy.cost_for("moderator_warning", "moderate") == Decimal("3")
    # After promotion every space pays the new cost, and no charge says "trial".
    later = _flag(community, "3", "later")
    assert later.cost == Decimal("6") and "trial" not in later.reason


def test_a_failing_gate_rolls_the_policy_trial_back_and_the_policy_in_force_applies(
    community: Community, moderator: User
) -> None:
    _, trial, _ = ready_for_trial(community)
    canary = _trial(community, trial)
    burst(community)
    assert check_canary(canary_id=canary.pk) == CanaryStatus.ROLLED_BACK
    canary.refresh_from_db()
    assert "version 1 of the budget policy applies again" in canary.outcome
    assert [e.kind for e in canary.entries.all()] == ["started", "gate_failed", "rolled_back"]
    assert AuditEntry.objects.filter(action="releases:canary-rollback").count() == 1
    notice = Notification.objects.get(kind="release_rolled_back")
    assert "version 2 of the budget policy" in notice.title
    assert get_policy(community=community).version == 1
    assert _flag(community, "2", "after").cost == Decimal("3")
    with pytest.raises(ServiceError, match="cannot be promoted"):
        promote_canary(canary=canary, by=None)
    assert get_policy(community=community).version == 1


def test_promotion_is_refused_when_the_policy_changed_since_the_trial_began(
    community: Community,
) -> None:
    _, trial, _ = ready_for_trial(community)
    canary = _trial(community, trial)
    update_policy(community=community, changes={"cooldown_hours": 12}, by=None)
    with pytest.raises(ConflictError, match="changed since the trial began"):
        promote_canary(canary=canary, by=None)
    canary.refresh_from_db()
    assert canary.status == CanaryStatus.RUNNING
    assert get_policy(community=community).version == 2


@pytest.mark.parametrize(
    ("costs", "message"),
    [
        ({"flag_upheld": {"minor": "-1", "moderate": "3", "severe": "8"}}, "number from 0"),
        ({"flag_upheld": {"minor": "1"}}, "each severity"),
        ({"hugging": {"minor": "1", "moderate": "3", "severe": "8"}}, "not a friction kind"),
        ({"flag_upheld": {"minor": "1", "moderate": "3.0", "severe": "8"}}, "Nothing changed"),
        ({}, "Give the new costs"),
    ],
)
def test_bad_costs_are_refused_and_change_nothing(
    community: Community, costs: dict[str, dict[str, str]], message: str
) -> None:
    _, trial, _ = ready_for_trial(community)
    with pytest.raises(ServiceError, match=message):
        start_policy_trial(
            community=community,
            space_ids=[trial.pk],
            duration_hours=5,
            summary="x",
            costs=costs,
            by=None,
        )
    assert not Canary.objects.exists()
    assert ForgivenessPolicy.objects.get(community=community).version == 1


def test_the_api_runs_a_policy_trial_and_refuses_bad_bodies(
    api: APIClient, community: Community
) -> None:
    _, trial, _ = ready_for_trial(community)
    base = {"summary": "Costlier flags", "space_ids": [trial.pk], "duration_hours": 5}
    missing = api.post("/api/v1/canaries/", {**base, "kind": "policy"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["errors"] == [
        {"field": "costs", "message": "A policy trial needs its new costs."}
    ]
    stray = api.post("/api/v1/canaries/", {**base, "costs": STRICTER}, format="json")
    assert stray.status_code == 400 and stray.json()["errors"][0]["field"] == "costs"
    bad = api.post(
        "/api/v1/canaries/",
        {**base, "kind": "policy", "costs": {"flag_upheld": {"minor": "x"}}},
        format="json",
    )
    assert bad.status_code == 400, bad.content
    assert not Canary.objects.exists()
    created = api.post(
        "/api/v1/canaries/", {**base, "kind": "policy", "costs": STRICTER}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "policy" and body["costs"]["flag_upheld"]["moderate"] == "6"
    promoted = api.post(f"/api/v1/canaries/{body['id']}/promote/")
    assert promoted.status_code == 200, promoted.content
    assert promoted.json()["promoted_policy_version"] == 2
    assert get_policy(community=community).version == 2


def test_the_releases_page_starts_a_policy_trial_from_its_form(
    client: Client, community: Community, moderator: User
) -> None:
    _, trial, _ = ready_for_trial(community)
    client.force_login(moderator)
    page = client.get(f"/c/{community.slug}/contract/releases/").content.decode()
    assert 'name="cost-flag_upheld-moderate" value="3"' in page
    form = {
        "kind": "policy",
        "summary": "Costlier flags",
        "spaces": [str(trial.pk)],
        "duration_hours": "5",
        "baseline": "rest",
        "cost-flag_upheld-minor": "2",
        "cost-flag_upheld-moderate": "6",
        "cost-flag_upheld-severe": "12",
    }
    bad = client.post(
        f"/c/{community.slug}/contract/releases/start/",
        {**form, "cost-flag_upheld-minor": "-3"},
        follow=True,
    )
    assert "number from 0" in bad.content.decode() and not Canary.objects.exists()
    done = client.post(f"/c/{community.slug}/contract/releases/start/", form, follow=True)
    assert "Version 2 of the budget policy is on trial." in done.content.decode()
    assert Canary.objects.get().policy_changes["costs"]["flag_upheld"]["moderate"] == "6"
