"""Game days: the refusals (nothing changed), the sandbox, the accelerated feeder, isolation
from the real community, and the self-stop when a real incident starts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from budgets.models import Charge
from community.domain_events import dispatch_pending
from community.models import (
    ClauseSnapshot,
    Community,
    ConductEvent,
    DomainEvent,
    Membership,
)
from community.services import ServiceError
from incidents import services as incident_services
from incidents.gamedays import services
from incidents.gamedays.models import GameDay, GameDayStatus
from incidents.gamedays.recordings import load_sample, sample_keys
from incidents.models import Incident, Runbook
from integrations.models import ForumAction, WebhookDelivery
from tests.gamedays.helpers import burst, ready

pytestmark = pytest.mark.django_db


def _start(community: Community, user: User, speed: int = 60) -> GameDay:
    _, runbook = ready(community)
    return services.start_game_day(
        community=community, recording=burst(), runbook=runbook, speed=speed, by=user
    )


def _unchanged_counts(community: Community) -> tuple[int, ...]:
    return (
        GameDay.objects.count(),
        Community.objects.count(),
        ConductEvent.objects.filter(community=community).count(),
        Incident.objects.filter(community=community).count(),
    )


def test_a_game_day_is_refused_while_a_real_incident_is_open(
    community: Community, moderator: User
) -> None:
    _, runbook = ready(community)
    incident_services.declare_incident(
        community=community,
        title="Heated thread",
        severity="SEV2",
        actor=incident_services.Actor.person(moderator),
    )
    before = _unchanged_counts(community)
    with pytest.raises(ServiceError, match="no real incident is open: “Heated thread”"):
        services.start_game_day(
            community=community, recording=burst(), runbook=runbook, speed=60, by=moderator
        )
    assert _unchanged_counts(community) == before


def test_a_game_day_is_refused_while_a_clause_budget_is_not_healthy(
    community: Community, moderator: User
) -> None:
    clause, runbook = ready(community)
    latest = ClauseSnapshot.objects.filter(clause=clause).order_by("-bucket").first()
    assert latest is not None
    latest.sli = latest.sli or 1
    latest.tier = "warning"
    latest.save()
    before = _unchanged_counts(community)
    with pytest.raises(ServiceError, match="every clause budget is healthy"):
        services.start_game_day(
            community=community, recording=burst(), runbook=runbook, speed=60, by=moderator
        )
    assert _unchanged_counts(community) == before


def test_bad_choices_are_refused_and_change_nothing(
    community: Community, other_community: Community, moderator: User
) -> None:
    _, runbook = ready(community)
    other_runbook = Runbook.objects.create(community=other_community, name="Theirs")
    before = _unchanged_counts(community)
    cases = [
        (other_runbook, 60, "another community"),
        (runbook, 7, "speed of 1, 10, 30 or 60"),
    ]
    for chosen, speed, message in cases:
        with pytest.raises(ServiceError, match=message):
            services.start_game_day(
                community=community, recording=burst(), runbook=chosen, speed=speed, by=moderator
            )
    runbook.is_active = False
    runbook.save()
    with pytest.raises(ServiceError, match="retired"):
        services.start_game_day(
            community=community, recording=burst(), runbook=runbook, speed=60, by=moderator
        )
    assert _unchanged_counts(community) == before


def test_a_second_game_day_waits_for_the_first(community: Community, moderator: User) -> None:
    game_day = _start(community, moderator)
    with pytest.raises(ServiceError, match="already running"):
        services.start_game_day(
            community=community,
            recording=burst(),
            runbook=Runbook.objects.get(
                community=community, pk__lt=game_day.sandbox_runbook_id, name=game_day.runbook_name
            ),
            speed=60,
            by=moderator,
        )
    assert GameDay.objects.count() == 1


def test_the_sandbox_is_a_hidden_copy_with_the_real_moderators(
    community: Community, moderator: User, member: User
) -> None:
    game_day = _start(community, moderator)
    sandbox = game_day.sandbox
    assert sandbox.pk != community.pk
    assert not sandbox.is_public
    assert list(Membership.objects.filter(community=sandbox).values_list("user", flat=True)) == [
        moderator.pk
    ]
    assert sandbox.clauses.filter(is_live=True).count() == 1
    assert Runbook.objects.get(pk=game_day.sandbox_runbook_id).community == sandbox
    client = Client()
    client.force_login(moderator)
    assert sandbox.name not in client.get(reverse("community:index")).content.decode()


def test_the_feeder_plays_the_recording_on_the_accelerated_clock(
    community: Community, moderator: User
) -> None:
    game_day = _start(community, moderator, speed=60)
    recording = burst()
    with time_machine.travel(game_day.started_at + timedelta(seconds=1), tick=False):
        services.feed_game_day(game_day_id=game_day.pk)
    game_day.refresh_from_db()
    # One wall-clock second at 60 times is the recording's first 60 seconds.
    assert game_day.emitted == sum(1 for e in recording.events if e["at"] <= 60)
    with time_machine.travel(game_day.started_at + timedelta(seconds=3), tick=False):
        services.feed_game_day(game_day_id=game_day.pk)
        services.feed_game_day(game_day_id=game_day.pk)  # a rerun stores nothing twice
    game_day.refresh_from_db()
    assert game_day.emitted == len(recording.events)
    assert game_day.fed_at is not None
    assert ConductEvent.objects.filter(community=game_day.sandbox).count() == len(recording.events)


@override_settings(METRICS_TOKEN="scrape-secret")
def test_a_game_day_never_touches_the_real_community(
    community: Community, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    clause, runbook = ready(community)
    real_snapshots = list(ClauseSnapshot.objects.filter(clause=clause).values_list("pk", "tier"))
    real = (
        ConductEvent.objects.filter(community=community).count(),
        Charge.objects.filter(community=community).count(),
        DomainEvent.objects.filter(community=community).count(),
        ForumAction.objects.count() + WebhookDelivery.objects.count(),
    )
    client = Client()
    status_before = client.get(reverse("incidents:status", kwargs={"slug": community.slug}))
    game_day = services.start_game_day(
        community=community, recording=burst(), runbook=runbook, speed=60, by=moderator
    )
    with (
        time_machine.travel(game_day.started_at + timedelta(seconds=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.feed_game_day(game_day_id=game_day.pk)
        dispatch_pending()
    sandbox = game_day.sandbox
    # The rehearsal ran: the sandbox's clause alerted and its war room opened.
    assert Charge.objects.filter(community=sandbox).exists()
    assert Incident.objects.filter(community=sandbox).exists()
    assert real == (
        ConductEvent.objects.filter(community=community).count(),
        Charge.objects.filter(community=community).count(),
        DomainEvent.objects.filter(community=community).count(),
        ForumAction.objects.count() + WebhookDelivery.objects.count(),
    )
    assert real_snapshots == list(
        ClauseSnapshot.objects.filter(clause=clause).values_list("pk", "tier")
    )
    assert not Incident.objects.filter(community=community).exists()
    status_after = client.get(reverse("incidents:status", kwargs={"slug": community.slug}))
    assert status_after.status_code == status_before.status_code == 200
    incident = Incident.objects.filter(community=sandbox).first()
    assert incident is not None and incident.title not in status_after.content.decode()
    metrics = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").content.decode()
    assert community.slug in metrics and sandbox.slug not in metrics
    game_day.refresh_from_db()
    assert game_day.is_running  # the sandbox's own incident does not stop its game day


def test_a_real_incident_stops_the_game_day_by_itself(
    community: Community, moderator: User
) -> None:
    game_day = _start(community, moderator)
    incident_services.declare_incident(
        community=community,
        title="A real heated thread",
        severity="SEV2",
        actor=incident_services.Actor.person(moderator),
    )
    dispatch_pending()
    game_day.refresh_from_db()
    assert game_day.status == GameDayStatus.INTERRUPTED
    assert "A real heated thread" in game_day.stop_reason
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        services.feed_game_day(game_day_id=game_day.pk)
    game_day.refresh_from_db()
    assert game_day.emitted == 0  # the feeder sends nothing once stopped


def test_the_feeder_stops_on_a_real_incident_even_before_the_subscriber(
    community: Community, moderator: User
) -> None:
    game_day = _start(community, moderator)
    Incident.objects.create(community=community, title="Open elsewhere")
    with time_machine.travel(game_day.started_at + timedelta(seconds=5), tick=False):
        services.feed_game_day(game_day_id=game_day.pk)
    game_day.refresh_from_db()
    assert game_day.status == GameDayStatus.INTERRUPTED
    assert game_day.emitted == 0


def test_finishing_freezes_the_report_and_twice_is_refused(
    community: Community,
    moderator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    game_day = _start(community, moderator)
    with (
        time_machine.travel(game_day.started_at + timedelta(seconds=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.feed_game_day(game_day_id=game_day.pk)
        dispatch_pending()
    finished = services.stop_game_day(game_day=game_day, by=moderator)
    assert finished.status == GameDayStatus.FINISHED
    assert finished.report["incident_declared"] is True
    assert finished.report["events_sent"] == len(burst().events)
    with pytest.raises(ServiceError, match="already ended"):
        services.stop_game_day(game_day=finished, by=moderator)


def test_the_shipped_sample_is_a_realistic_flame_war() -> None:
    assert "heated_thread" in sample_keys()
    sample = load_sample("heated_thread")
    kinds = [e["kind"] for e in sample.events]
    assert kinds.count("post") >= 100 and kinds.count("flag_upheld") >= 15
    assert sample.recorded_seconds > 3600
