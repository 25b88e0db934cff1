"""Game day pages: the confirm step, the refusal in words, moderators only, the rehearsal mark
in the sandbox's war room, finishing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from community.models import Community
from incidents import services as incident_services
from incidents.gamedays.models import GameDay, GameDayStatus
from tests.gamedays.helpers import ready

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _choice(community: Community) -> dict[str, Any]:
    _, runbook = ready(community)
    return {"recording": "sample:heated_thread", "runbook": runbook.pk, "speed": 60}


def test_starting_asks_to_confirm_what_will_happen_then_starts(
    community: Community, moderator: User
) -> None:
    url = reverse("gamedays:index", kwargs={"slug": community.slug})
    data = _choice(community)
    client = _client(moderator)
    confirm = client.post(url, data)
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "What will happen" in text and "154 events" in text and "about 1 minute" in text
    assert not GameDay.objects.exists()
    started = client.post(url, {**data, "confirm": "yes"})
    game_day = GameDay.objects.get()
    assert started.status_code == 302 and started["Location"] == game_day.get_absolute_url()
    page = client.get(game_day.get_absolute_url()).content.decode()
    assert "Rehearsal — nothing here touches the real community" in page
    finished = client.post(
        reverse("gamedays:stop", kwargs={"slug": community.slug, "pk": game_day.pk})
    )
    assert finished.status_code == 302
    game_day.refresh_from_db()
    assert game_day.status == GameDayStatus.FINISHED
    again = client.post(
        reverse("gamedays:stop", kwargs={"slug": community.slug, "pk": game_day.pk})
    )
    assert again.status_code == 409 and "already ended" in again.content.decode()


def test_a_refusal_is_said_in_words_and_starts_nothing(
    community: Community, moderator: User
) -> None:
    data = _choice(community)
    incident_services.declare_incident(
        community=community,
        title="Heated thread",
        severity="SEV2",
        actor=incident_services.Actor.person(moderator),
    )
    url = reverse("gamedays:index", kwargs={"slug": community.slug})
    response = _client(moderator).post(url, {**data, "confirm": "yes"})
    assert response.status_code == 400
    assert "no real incident is open" in response.content.decode()
    assert not GameDay.objects.exists()


def test_members_may_not_run_game_days(community: Community, member: User) -> None:
    url = reverse("gamedays:index", kwargs={"slug": community.slug})
    assert _client(member).get(url).status_code == 403


def test_the_sandbox_war_room_is_marked_as_a_rehearsal(
    community: Community, moderator: User
) -> None:
    url = reverse("gamedays:index", kwargs={"slug": community.slug})
    client = _client(moderator)
    client.post(url, {**_choice(community), "confirm": "yes"})
    game_day = GameDay.objects.get()
    incident = incident_services.declare_incident(
        community=game_day.sandbox,
        title="Rehearsed flame war",
        severity="SEV2",
        actor=incident_services.Actor.person(moderator),
    )
    room = client.get(
        reverse("incidents:detail", kwargs={"slug": game_day.sandbox.slug, "pk": incident.pk})
    )
    assert room.status_code == 200
    assert "Rehearsal — nothing here touches the real community" in room.content.decode()
    game_day.refresh_from_db()
    assert game_day.is_running  # a rehearsal incident is not a real one
