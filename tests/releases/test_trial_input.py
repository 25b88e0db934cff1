"""Gate checks after ingest are coalesced; bad trial input through the service, the API and
the form is refused with a clear message and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from celery.signals import task_prerun
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from community.contract.releases.canary import (
    promote_canary,
    request_check,
    roll_back_canary,
    run_requested_check,
    start_canary,
)
from community.contract.releases.models import Canary, CanaryStatus
from community.contract.releases.policy_trial import start_policy_trial
from community.models import Community, ContractVersion
from community.services import ConflictError, ServiceError
from tests.contract.helpers import posts_and_flags
from tests.releases.helpers import ready_for_trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate_checks() -> Iterator[list[str]]:
    """The names of the Celery tasks that ran (eager), as Celery announces them."""
    ran: list[str] = []

    def record(sender: Any = None, task: Any = None, **_: Any) -> None:
        ran.append(task.name)

    task_prerun.connect(record, weak=False)
    yield ran
    task_prerun.disconnect(record)


def test_a_burst_of_batches_queues_one_gate_check(
    community: Community,
    gate_checks: list[str],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    _, trial, _ = ready_for_trial(community)
    canary = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=24, summary="Stricter", by=None
    )
    at = timezone.now() - timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            posts_and_flags(community, posts=3, flags=0, at=at, space="2", prefix=f"b{n}")
    assert gate_checks.count("releases.check_canary") == 1
    canary.refresh_from_db()
    assert canary.check_pending is False and canary.last_checked_at is not None
    # While a check is pending, no other is queued; once it starts, the next batch queues one.
    assert request_check(community=community) is True
    assert request_check(community=community) is False
    run_requested_check(canary_id=canary.pk)
    assert request_check(community=community) is True


def test_no_gate_check_is_queued_without_a_running_trial(
    community: Community,
    gate_checks: list[str],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    ready_for_trial(community)
    with django_capture_on_commit_callbacks(execute=True):
        posts_and_flags(community, posts=3, flags=0, at=timezone.now(), space="2", prefix="q")
    assert "releases.check_canary" not in gate_checks
    assert request_check(community=community) is False


def test_a_second_trial_on_the_same_space_is_refused_naming_it(community: Community) -> None:
    _, trial, rest = ready_for_trial(community)
    first = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=5, summary="One", by=None
    )
    with pytest.raises(ConflictError, match="Space 2 already has a trial running"):
        start_policy_trial(
            community=community,
            space_ids=[trial.pk],
            duration_hours=5,
            summary="Two",
            costs={"flag_upheld": {"minor": "2", "moderate": "6", "severe": "12"}},
            by=None,
        )
    with pytest.raises(ConflictError, match="A trial is already running"):
        start_canary(
            community=community, space_ids=[rest.pk], duration_hours=5, summary="Two", by=None
        )
    assert list(Canary.objects.values_list("pk", flat=True)) == [first.pk]


def test_promoting_a_rolled_back_trial_is_refused(community: Community) -> None:
    _, trial, _ = ready_for_trial(community)
    canary = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=5, summary="One", by=None
    )
    roll_back_canary(canary=canary, by_name="maya")
    with pytest.raises(ServiceError, match="rolled back, so its version cannot be promoted"):
        promote_canary(canary=canary, by=None)
    with pytest.raises(ServiceError, match="rolled back already"):
        roll_back_canary(canary=canary)
    canary.refresh_from_db()
    assert canary.status == CanaryStatus.ROLLED_BACK and canary.promoted_version is None
    assert ContractVersion.objects.filter(contract__community=community).count() == 1


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"space_ids": [2_000_000_000]}, 400, "not spaces of this community"),
        ({"space_ids": []}, 400, "space_ids"),
        ({"space_ids": [3_000_000_000]}, 400, "space_ids"),
        ({"duration_hours": 0}, 400, "duration_hours"),
        ({"duration_hours": 721}, 400, "duration_hours"),
        ({"baseline": "yesterday"}, 400, "baseline"),
    ],
)
def test_the_api_refuses_bad_trials_and_changes_nothing(
    api: APIClient, community: Community, change: dict[str, Any], status: int, words: str
) -> None:
    _, trial, _ = ready_for_trial(community)
    body = {"summary": "Stricter", "space_ids": [trial.pk], "duration_hours": 5, **change}
    refused = api.post("/api/v1/canaries/", body, format="json")
    assert refused.status_code == status, refused.content
    assert words in refused.content.decode()
    assert not Canary.objects.exists()


def test_the_api_answers_409_for_an_overlapping_trial_and_400_for_promoting_a_rollback(
    api: APIClient, community: Community
) -> None:
    _, trial, _ = ready_for_trial(community)
    body = {"summary": "Stricter", "space_ids": [trial.pk], "duration_hours": 5}
    first = api.post("/api/v1/canaries/", body, format="json")
    assert first.status_code == 201
    again = api.post("/api/v1/canaries/", body, format="json")
    assert again.status_code == 409
    assert again.json()["detail"].startswith("Space 2 already has a trial running")
    pk = first.json()["id"]
    assert api.post(f"/api/v1/canaries/{pk}/rollback/").status_code == 200
    promoted = api.post(f"/api/v1/canaries/{pk}/promote/")
    assert promoted.status_code == 400 and "cannot be promoted" in promoted.json()["detail"]
    assert Canary.objects.count() == 1
    assert ContractVersion.objects.filter(contract__community=community).count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"duration_hours": "0"}, "A trial lasts from 1 hour to 30 days."),
        ({"duration_hours": "721"}, "A trial lasts from 1 hour to 30 days."),
        ({"duration_hours": "many"}, "a whole number of hours"),
        ({"spaces": ["999999"]}, "not spaces of this community"),
        ({"spaces": []}, "Choose at least one space"),
        ({"sli_drop_points": "lots"}, "must be numbers"),
    ],
)
def test_the_form_refuses_bad_trials_and_changes_nothing(
    client: Client, community: Community, moderator: User, change: dict[str, Any], message: str
) -> None:
    _, trial, _ = ready_for_trial(community)
    client.force_login(moderator)
    form = {"summary": "Stricter", "spaces": [str(trial.pk)], "duration_hours": "5", **change}
    page = client.post(f"/c/{community.slug}/contract/releases/start/", form, follow=True)
    assert message in page.content.decode()
    assert not Canary.objects.exists()


def test_the_form_refuses_promoting_a_rolled_back_trial(
    client: Client, community: Community, moderator: User
) -> None:
    _, trial, _ = ready_for_trial(community)
    canary = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=5, summary="One", by=None
    )
    roll_back_canary(canary=canary, by_name="maya")
    client.force_login(moderator)
    page = client.post(
        f"/c/{community.slug}/contract/releases/canaries/{canary.pk}/promote/", follow=True
    )
    assert "rolled back, so its version cannot be promoted" in page.content.decode()
    canary.refresh_from_db()
    assert canary.status == CanaryStatus.ROLLED_BACK
    assert ContractVersion.objects.filter(contract__community=community).count() == 1
