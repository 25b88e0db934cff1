"""Old sandboxes are removed after the retention period (configurable); the game day and its
report stay, the page says so, and the real community is untouched."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import reverse

from budgets.models import Charge
from community.domain_events import dispatch_pending
from community.models import Community, ConductEvent, Membership, Notification
from incidents.gamedays import purge, services
from incidents.gamedays.models import GameDay
from incidents.gamedays.tasks import purge_sandboxes
from incidents.models import Incident, RunbookRun
from tests.gamedays.helpers import burst, ready

pytestmark = pytest.mark.django_db


def _rehearsed(community: Community, moderator: User, capture: Any) -> GameDay:
    """A finished game day whose sandbox holds a whole rehearsal: events, charges, an incident
    with its runbook run (a protected reference), notices."""
    _, runbook = ready(community)
    game_day = services.start_game_day(
        community=community, recording=burst(), runbook=runbook, speed=60, by=moderator
    )
    with (
        time_machine.travel(game_day.started_at + timedelta(seconds=5), tick=False),
        capture(execute=True),
    ):
        services.feed_game_day(game_day_id=game_day.pk)
        dispatch_pending()
    return services.stop_game_day(game_day=game_day, by=moderator)


def _real(community: Community) -> tuple[int, ...]:
    return (
        Community.objects.filter(pk=community.pk).count(),
        ConductEvent.objects.filter(community=community).count(),
        Membership.objects.filter(community=community).count(),
        Incident.objects.filter(community=community).count(),
        User.objects.count(),
    )


@override_settings(GAMEDAY_SANDBOX_RETENTION_DAYS=14)
def test_a_finished_rehearsals_sandbox_goes_after_the_retention_period(
    community: Community, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    game_day = _rehearsed(community, moderator, django_capture_on_commit_callbacks)
    sandbox = game_day.sandbox
    assert sandbox is not None
    assert RunbookRun.objects.filter(incident__community=sandbox).exists()
    assert Charge.objects.filter(community=sandbox).exists()
    report = dict(game_day.report)
    real = _real(community)
    assert game_day.ended_at is not None
    # Thirteen days after: kept.
    assert purge.purge_sandboxes(now=game_day.ended_at + timedelta(days=13)) == 0
    assert Community.objects.filter(pk=sandbox.pk).exists()
    # Fifteen days after: gone, with every row the rehearsal wrote.
    assert purge.purge_sandboxes(now=game_day.ended_at + timedelta(days=15)) == 1
    assert not Community.objects.filter(pk=sandbox.pk).exists()
    for model in (ConductEvent, Charge, Incident, Membership, Notification):
        assert not model.objects.filter(community_id=sandbox.pk).exists(), model
    game_day.refresh_from_db()
    assert game_day.sandbox_id is None and game_day.sandbox_purged_at is not None
    assert game_day.report == report and report["incident_declared"] is True
    assert _real(community) == real
    assert purge.purge_sandboxes(now=game_day.ended_at + timedelta(days=16)) == 0
    # The page and the community list still work, and say what happened.
    client = Client()
    client.force_login(moderator)
    page = client.get(game_day.get_absolute_url()).content.decode()
    assert "The rehearsal copy was removed" in page and "14 days after" in page
    assert community.name in client.get(reverse("community:index")).content.decode()
    api_report = services.compute_report(game_day)
    assert api_report == report


def test_a_running_game_day_keeps_its_sandbox_however_old(
    community: Community, moderator: User
) -> None:
    _, runbook = ready(community)
    game_day = services.start_game_day(
        community=community, recording=burst(), runbook=runbook, speed=60, by=moderator
    )
    assert purge.purge_sandboxes(now=game_day.started_at + timedelta(days=400)) == 0
    game_day.refresh_from_db()
    assert game_day.sandbox_id is not None


def test_the_hourly_task_purges_with_the_configured_retention(
    community: Community, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["gamedays-purge-sandboxes"]["task"] == (
        purge_sandboxes.name
    )
    game_day = _rehearsed(community, moderator, django_capture_on_commit_callbacks)
    assert game_day.ended_at is not None
    with time_machine.travel(game_day.ended_at + timedelta(days=31), tick=False):
        # Read the eager result's value, not ``get()``: an in-process worker started by an
        # earlier test in this process leaves Celery refusing to join a result.
        result = purge_sandboxes.apply()
        assert result.successful() and result.result == 1  # the default: 30 days
    game_day.refresh_from_db()
    assert game_day.sandbox_id is None
