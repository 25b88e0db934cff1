"""The game days API: start (with the page's refusals as clear 400s, nothing changed), progress,
the report, finishing, recordings from the community's own incidents, and key scopes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from community.domain_events import dispatch_pending
from community.models import ClauseSnapshot, Community, ConductEvent, Space
from incidents import services as incident_services
from incidents.gamedays import services
from incidents.gamedays.models import GameDay
from incidents.gamedays.recordings import load_sample
from incidents.models import Incident, IncidentStatus, Runbook
from tests.conftest import api_client_for
from tests.gamedays.helpers import ready

pytestmark = pytest.mark.django_db

URL = "/api/v1/game-days/"


def _body(runbook: Runbook, **extra: Any) -> dict[str, Any]:
    return {"recording": "sample:heated_thread", "runbook_id": runbook.pk, "speed": 60, **extra}


def _counts(community: Community) -> tuple[int, ...]:
    return (
        GameDay.objects.count(),
        Community.objects.count(),
        Incident.objects.filter(community=community).count(),
    )


def test_a_moderate_key_runs_a_game_day_end_to_end(
    community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    _, runbook = ready(community)
    api = api_client_for(community, "read", "moderate")
    started = api.post(URL, _body(runbook), format="json")
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["status"] == "running" and body["events_sent"] == 0 and body["progress"] == 0
    assert body["events_total"] == len(load_sample("heated_thread").events)
    assert body["report"]["final"] is False and body["sandbox_kept"] is True
    game_day = GameDay.objects.get(pk=body["id"])
    with (
        time_machine.travel(game_day.started_at + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.feed_game_day(game_day_id=game_day.pk)
        dispatch_pending()
    progress = api.get(f"{URL}{game_day.pk}/").json()
    assert progress["progress"] == 1.0 and progress["events_sent"] == body["events_total"]
    assert progress["report"]["incident_declared"] is True
    assert api.get(URL).json()[0]["id"] == game_day.pk
    stopped = api.post(f"{URL}{game_day.pk}/stop/")
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "finished" and stopped.json()["report"]["final"] is True
    report = api.get(f"{URL}{game_day.pk}/report/").json()
    assert report == stopped.json()["report"]
    assert report["minutes_to_facilitator"] is None  # nobody took the role in this rehearsal
    again = api.post(f"{URL}{game_day.pk}/stop/")
    assert again.status_code == 400 and "already ended" in again.json()["detail"]


def test_a_start_is_refused_while_a_real_incident_is_open(
    community: Community, moderator: User
) -> None:
    _, runbook = ready(community)
    incident_services.declare_incident(
        community=community,
        title="Heated thread",
        severity="SEV2",
        actor=incident_services.Actor.person(moderator),
    )
    before = _counts(community)
    answer = api_client_for(community, "moderate").post(URL, _body(runbook), format="json")
    assert answer.status_code == 400
    assert "no real incident is open: “Heated thread”" in answer.json()["detail"]
    assert _counts(community) == before


def test_a_start_is_refused_while_a_clause_budget_is_not_healthy(community: Community) -> None:
    clause, runbook = ready(community)
    latest = ClauseSnapshot.objects.filter(clause=clause).order_by("-bucket").first()
    assert latest is not None
    latest.sli = latest.sli or 1
    latest.tier = "warning"
    latest.save()
    before = _counts(community)
    answer = api_client_for(community, "moderate").post(URL, _body(runbook), format="json")
    assert answer.status_code == 400
    assert "every clause budget is healthy" in answer.json()["detail"]
    assert _counts(community) == before


def test_bad_input_is_refused_by_name_and_changes_nothing(
    community: Community, other_community: Community, moderator: User
) -> None:
    _, runbook = ready(community)
    theirs = Runbook.objects.create(community=other_community, name="Theirs")
    other_incident = Incident.objects.create(
        community=other_community, title="Theirs", status=IncidentStatus.RESOLVED
    )
    open_incident = Incident.objects.create(community=community, title="Still open")
    api = api_client_for(community, "moderate")
    before = _counts(community)
    cases = [
        (_body(runbook, speed=7), "speed"),
        (_body(runbook, recording="sample:nothing"), "no such sample"),
        (_body(runbook, recording="yesterday"), "Choose a sample recording"),
        (_body(runbook, recording=f"incident:{other_incident.pk}"), "no such incident"),
        (_body(runbook, recording=f"incident:{open_incident.pk}"), "resolved incident"),
        (_body(theirs), "no such runbook in this community"),
        (_body(runbook, runbook_id=2_147_483_000), "no such runbook in this community"),
        ({"recording": "sample:heated_thread"}, "runbook_id"),
    ]
    for body, words in cases:
        answer = api.post(URL, body, format="json")
        assert answer.status_code == 400, body
        assert words.lower() in answer.content.decode().lower(), (body, answer.content)
    assert _counts(community) == before


def test_a_past_incident_of_the_community_is_a_recording(
    community: Community, moderator: User
) -> None:
    _, runbook = ready(community)
    space = Space.objects.create(community=community, name="The heated thread")
    declared = timezone.now() - timedelta(days=2)
    incident = Incident.objects.create(
        community=community,
        title="The vote got heated",
        status=IncidentStatus.RESOLVED,
        declared_at=declared,
        resolved_at=declared + timedelta(hours=1),
    )
    incident.spaces.set([space])
    member = community.memberships.create(display_name="sam_oak")
    ConductEvent.objects.bulk_create(
        ConductEvent(
            community=community,
            kind="post",
            member=member,
            space=space,
            occurred_at=declared + timedelta(minutes=n),
            recorded_at=declared + timedelta(minutes=n),
            source="test",
            external_id=f"past-{n}",
        )
        for n in range(0, 90, 5)  # 12 inside the incident's hour, the rest after it
    )
    api = api_client_for(community, "read", "moderate")
    listed = api.get(f"{URL}recordings/").json()
    wanted = {"recording": f"incident:{incident.pk}", "kind": "incident", "title": incident.title}
    assert wanted in listed
    answer = api.post(URL, _body(runbook, recording=f"incident:{incident.pk}"), format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["recording_kind"] == "incident"
    assert answer.json()["events_total"] == 13
    game_day = GameDay.objects.get(pk=answer.json()["id"])
    assert {e["member"] for e in game_day.events} == {"Member 1"}  # no real name replayed


def test_scopes_and_communities(community: Community, other_community: Community) -> None:
    _, runbook = ready(community)
    game_day = services.start_game_day(
        community=community,
        recording=load_sample("heated_thread"),
        runbook=runbook,
        speed=60,
        by=None,
    )
    reader = api_client_for(community, "read")
    assert reader.get(URL).status_code == 200
    assert reader.get(f"{URL}{game_day.pk}/report/").status_code == 200
    assert reader.post(URL, _body(runbook), format="json").status_code == 403
    assert reader.post(f"{URL}{game_day.pk}/stop/").status_code == 403
    stranger = api_client_for(other_community, "read", "moderate")
    assert stranger.get(f"{URL}{game_day.pk}/").status_code == 404
    assert stranger.post(f"{URL}{game_day.pk}/stop/").status_code == 404
    assert stranger.get(URL).json() == []
    game_day.refresh_from_db()
    assert game_day.is_running
