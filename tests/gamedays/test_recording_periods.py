"""A period of the community's own history as a recording (not only the sample or an
incident): through the start page (with its confirm step) and the API; bad periods refused in
words, changing nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import Community, ConductEvent, Space
from incidents.gamedays.models import GameDay
from tests.conftest import api_client_for
from tests.gamedays.helpers import ready

pytestmark = pytest.mark.django_db


def _history(community: Community) -> tuple[Space, datetime]:
    """Two hours of a heated thread two days ago (24 posts, 6 upheld flags) and 10 posts
    elsewhere in the same hours."""
    thread = Space.objects.create(community=community, name="The heated thread")
    garden = Space.objects.create(community=community, name="Seed swap")
    start = timezone.now() - timedelta(days=2)
    sam = community.memberships.create(display_name="sam_oak")
    rows = [
        ConductEvent(
            community=community,
            kind="flag_upheld" if n % 4 == 0 else "post",
            category="inappropriate" if n % 4 == 0 else "",
            member=sam,
            space=thread,
            occurred_at=start + timedelta(minutes=5 * n),
            source="test",
            external_id=f"thread-{n}",
        )
        for n in range(24)
    ]
    rows += [
        ConductEvent(
            community=community,
            kind="post",
            member=sam,
            space=garden,
            occurred_at=start + timedelta(minutes=7 * n),
            source="test",
            external_id=f"garden-{n}",
        )
        for n in range(10)
    ]
    ConductEvent.objects.bulk_create(rows)
    return thread, start


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_moderator_records_a_period_of_one_space_from_the_page(
    community: Community, moderator: User
) -> None:
    _, runbook = ready(community)
    thread, start = _history(community)
    client = Client()
    client.force_login(moderator)
    url = reverse("gamedays:index", kwargs={"slug": community.slug})
    data: dict[str, Any] = {
        "recording": "period",
        "period_from": _local(start - timedelta(minutes=1)),
        "period_to": _local(start + timedelta(hours=2, minutes=1)),
        "period_space": thread.pk,
        "runbook": runbook.pk,
        "speed": 60,
    }
    confirm = client.post(url, data)
    assert confirm.status_code == 200
    assert "24 events" in confirm.content.decode()
    assert not GameDay.objects.exists()
    started = client.post(url, {**data, "confirm": "yes"})
    assert started.status_code == 302
    game_day = GameDay.objects.get()
    assert game_day.recording_kind == "period" and game_day.total_events == 24
    assert "The heated thread" in game_day.recording_title
    assert {e["member"] for e in game_day.events} == {"Member 1"}
    assert [e["kind"] for e in game_day.events].count("flag_upheld") == 6


def test_a_period_without_its_dates_is_a_form_error(community: Community, moderator: User) -> None:
    _, runbook = ready(community)
    client = Client()
    client.force_login(moderator)
    url = reverse("gamedays:index", kwargs={"slug": community.slug})
    answer = client.post(url, {"recording": "period", "runbook": runbook.pk, "speed": 60})
    assert answer.status_code == 400
    assert "Give the start and the end of the period" in answer.content.decode()
    assert not GameDay.objects.exists()


def test_the_api_records_a_period_of_the_whole_community(community: Community) -> None:
    _, runbook = ready(community)
    _, start = _history(community)
    api = api_client_for(community, "read", "moderate")
    body = {
        "period": {
            "from": (start - timedelta(minutes=1)).isoformat(),
            "to": (start + timedelta(hours=3)).isoformat(),
        },
        "runbook_id": runbook.pk,
        "speed": 30,
    }
    answer = api.post("/api/v1/game-days/", body, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["recording_kind"] == "period"
    assert answer.json()["events_total"] == 34
    assert {e["space"] for e in GameDay.objects.get().events} == {"Space 1", "Space 2"}


def test_bad_periods_are_refused_in_words_and_change_nothing(
    community: Community, other_community: Community
) -> None:
    _, runbook = ready(community)
    thread, start = _history(community)
    elsewhere = Space.objects.create(community=other_community, name="Openings")
    api = api_client_for(community, "moderate")
    now = timezone.now()

    def period(begin: datetime, end: datetime, **extra: Any) -> dict[str, Any]:
        return {
            "period": {"from": begin.isoformat(), "to": end.isoformat(), **extra},
            "runbook_id": runbook.pk,
        }

    cases = [
        (period(start, start - timedelta(hours=1)), "must end after it starts"),
        (period(now - timedelta(hours=1), now + timedelta(hours=1)), "a period that is over"),
        (period(now - timedelta(days=20), now - timedelta(days=1)), "at most 7 days"),
        (
            period(start, start + timedelta(hours=2), space_id=elsewhere.pk),
            "no such space in this community",
        ),
        (period(now - timedelta(days=6), now - timedelta(days=5)), "no recorded events"),
        (
            {**period(start, start + timedelta(hours=1)), "recording": "sample:heated_thread"},
            "either a recording or a period",
        ),
        ({"runbook_id": runbook.pk}, "either a recording or a period"),
    ]
    for body, words in cases:
        answer = api.post("/api/v1/game-days/", body, format="json")
        assert answer.status_code == 400, body
        assert words in answer.content.decode(), (words, answer.content)
    assert not GameDay.objects.exists()
    assert thread.community_id == community.pk
