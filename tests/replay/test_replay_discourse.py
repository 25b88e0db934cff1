"""``replay_discourse`` carries ``recorded_at`` (DESIGN.md §3.7): a community that imports its
past through recorded Discourse deliveries can replay it, and that history pages no one now."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from budgets.models import Notice, TierTransition
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import recalculate_community
from community.contract.replay.models import ImportedEvent
from community.models import Community, ConductEvent, DomainEvent
from integrations.discourse.connection import connect_discourse
from integrations.models import DiscourseConnection, InboundDelivery
from tests.integrations.helpers import API_KEY, API_USER, SECRET, fake_discourse, fixture

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
POSTED = datetime(2023, 2, 9, 10, 19, 46, 324000, tzinfo=UTC)  # the fixture's created_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(community: Community) -> DiscourseConnection:
    call_command(
        "connect_discourse",
        community="garden",
        base_url="https://forum.example.org",
        secret=SECRET,
        stdout=StringIO(),
        stderr=StringIO(),
    )
    return DiscourseConnection.objects.get()


def _file(tmp_path: Path, lines: list[dict[str, Any]]) -> Path:
    path = tmp_path / "past.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def _replay(path: Path) -> dict[str, int]:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("replay_discourse", str(path), stdout=out, stderr=StringIO())
    result: dict[str, int] = json.loads(out.getvalue().splitlines()[-1])
    return result


def test_a_line_s_recorded_at_becomes_the_event_s(
    connected: DiscourseConnection, tmp_path: Path
) -> None:
    line = {**fixture("post_created"), "recorded_at": "2023-02-09T11:00:00Z"}
    assert _replay(_file(tmp_path, [line]))["stored"] == 1
    event = ConductEvent.objects.get()
    assert event.recorded_at == datetime(2023, 2, 9, 11, 0, tzinfo=UTC)
    assert event.occurred_at == POSTED
    # Years old: outside every alert window, so there is nothing to keep out of one.
    assert not ImportedEvent.objects.exists()


def test_a_recorded_at_before_the_post_is_the_post_s_own_time(
    connected: DiscourseConnection, tmp_path: Path
) -> None:
    line = {**fixture("post_created"), "recorded_at": "2023-02-01T00:00:00Z"}
    _replay(_file(tmp_path, [line]))
    assert ConductEvent.objects.get().recorded_at == POSTED


def test_without_recorded_at_the_event_is_news_of_now(
    connected: DiscourseConnection, tmp_path: Path
) -> None:
    _replay(_file(tmp_path, [fixture("post_created")]))
    assert ConductEvent.objects.get().recorded_at == NOW
    assert not ImportedEvent.objects.exists()


def test_a_recent_past_is_imported_history_kept_out_of_the_live_alert_windows(
    connected: DiscourseConnection, tmp_path: Path
) -> None:
    line = fixture("post_created")
    line["body"]["post"]["created_at"] = (NOW - timedelta(minutes=50)).isoformat()
    line["recorded_at"] = (NOW - timedelta(minutes=40)).isoformat()
    _replay(_file(tmp_path, [line]))
    event = ConductEvent.objects.get()
    assert event.recorded_at == NOW - timedelta(minutes=40)
    imported = ImportedEvent.objects.get()
    assert (imported.event_id, imported.received_at) == (event.pk, NOW)


@pytest.mark.parametrize(
    ("recorded_at", "message"),
    [
        ("2026-11-20T12:05:00Z", "cannot be in the future"),
        ("2026-11-20T11:00:00", "with its time zone"),
        ("yesterday", "ISO date and time"),
        (1700000000, "ISO date and time"),
    ],
)
def test_a_bad_recorded_at_stops_the_run_naming_the_line_before_storing_anything(
    connected: DiscourseConnection, tmp_path: Path, recorded_at: object, message: str
) -> None:
    good = {**fixture("post_created"), "recorded_at": "2023-02-09T11:00:00Z"}
    bad = {**fixture("post_edited"), "recorded_at": recorded_at}
    with pytest.raises(CommandError, match=rf"past\.jsonl:2: recorded_at.*{message}"):
        _replay(_file(tmp_path, [good, bad]))
    assert not InboundDelivery.objects.exists()
    assert not ConductEvent.objects.exists()


def test_an_imported_upheld_flag_moves_the_author_s_budget_quietly(
    community: Community, tmp_path: Path
) -> None:
    """A post and its upheld flag from two days ago, imported with the time the flag was
    upheld: the author's budget counts it (critical), and nobody is told or paused."""
    posted = NOW - timedelta(days=2)
    with fake_discourse() as forum:
        forum.review = fixture("review_5121")  # the flag types and the author (johnnee8)
        connection = connect_discourse(
            community=community,
            base_url=forum.url,
            secret=SECRET,
            api_key=API_KEY,
            api_username=API_USER,
        )
        connection.flag_severities = {**connection.flag_severities, "inappropriate": "severe"}
        connection.save()
        post = fixture("post_edited")
        post["body"]["post"]["created_at"] = posted.isoformat()
        post["recorded_at"] = posted.isoformat()
        flag = fixture("reviewable_approved")
        flag["recorded_at"] = (posted + timedelta(hours=3)).isoformat()
        _replay(_file(tmp_path, [post, flag]))
    assert ImportedEvent.objects.filter(event__kind="flag_upheld").exists()
    with time_machine.travel(NOW, tick=False):
        recalculate_community(community=community, kind=RecalcKind.FULL)
    transition = TierTransition.objects.get()
    assert (transition.to_tier, transition.live_tier) == ("critical", "healthy")
    assert transition.from_imported_history and transition.actions == []
    assert not Notice.objects.exists()
    assert not DomainEvent.objects.filter(type="budget.tier_changed").exists()
