"""connect_discourse and replay_discourse."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from community.models import Community, ConductEvent
from integrations.models import DiscourseConnection, InboundDelivery
from tests.integrations.helpers import SECRET, deliver, fixture


def test_connect_discourse_prints_a_working_webhook_path_alone_on_the_last_line(
    community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    out = StringIO()
    call_command(
        "connect_discourse",
        community="garden",
        base_url="https://forum.example.org/",
        secret=SECRET,
        api_key="k" * 20,
        api_username="system",
        stdout=out,
        stderr=StringIO(),
    )
    path = out.getvalue().strip().splitlines()[-1]
    connection = DiscourseConnection.objects.get()
    assert path == f"/integrations/discourse/{connection.pk}/"
    assert connection.base_url == "https://forum.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(Client(), connection, fixture("post_created"))
    assert response.status_code == 202
    assert ConductEvent.objects.filter(source="discourse").count() == 1


def test_connecting_again_updates_the_one_connection(community: Community) -> None:
    for url in ("https://old.example.org", "https://new.example.org"):
        call_command(
            "connect_discourse",
            community="garden",
            base_url=url,
            secret=SECRET,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert DiscourseConnection.objects.get().base_url == "https://new.example.org"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"community": "nowhere"}, "No community"),
        ({"secret": "short"}, "at least 12"),
        ({"base_url": "forum.example.org"}, "must start with https://"),
        ({"base_url": "https://forum.example.org/?x=1"}, "query"),
        ({"api_key": "k" * 20}, "or neither"),
    ],
)
def test_connect_discourse_refuses_bad_input(
    community: Community, kwargs: dict[str, str], message: str
) -> None:
    options = {
        "community": "garden",
        "base_url": "https://forum.example.org",
        "secret": SECRET,
        **kwargs,
    }
    with pytest.raises(CommandError, match=message):
        call_command("connect_discourse", **options, stdout=StringIO(), stderr=StringIO())
    assert not DiscourseConnection.objects.exists()


def _jsonl(tmp_path: Path, names: list[str]) -> Path:
    path = tmp_path / "deliveries.jsonl"
    path.write_text("\n".join(json.dumps(fixture(n)) for n in names) + "\n")
    return path


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


def test_replay_feeds_recorded_deliveries_through_the_pipeline_once(
    connected: DiscourseConnection, tmp_path: Path
) -> None:
    path = _jsonl(tmp_path, ["post_created", "post_edited", "topic_created", "post_created"])
    out = StringIO()
    call_command("replay_discourse", str(path), stdout=out, stderr=StringIO())
    assert json.loads(out.getvalue().splitlines()[-1]) == {
        "stored": 3,
        "duplicates": 1,
        "rejected": 0,
    }
    assert set(ConductEvent.objects.values_list("external_id", flat=True)) == {
        "post:79563",
        "post:127406",
    }
    assert set(InboundDelivery.objects.values_list("status", flat=True)) == {"processed"}
    again = StringIO()
    call_command("replay_discourse", str(path), community="garden", stdout=again, stderr=StringIO())
    assert json.loads(again.getvalue()) == {"stored": 0, "duplicates": 4, "rejected": 0}
    assert ConductEvent.objects.count() == 2


def test_replay_stops_at_a_bad_line_before_storing_anything(
    connected: DiscourseConnection, tmp_path: Path
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(fixture("post_created")) + "\n{not json\n")
    with pytest.raises(CommandError, match=r"bad\.jsonl:2"):
        call_command("replay_discourse", str(path), stdout=StringIO())
    assert not InboundDelivery.objects.exists()


@pytest.mark.parametrize(
    ("setup", "kwargs", "message"),
    [
        (False, {}, "Say which community"),
        (True, {"community": "nowhere"}, "No community"),
        (True, {"file": "/no/such/file.jsonl"}, "No such file"),
    ],
)
def test_replay_refuses_bad_input(
    community: Community, tmp_path: Path, setup: bool, kwargs: dict[str, str], message: str
) -> None:
    if setup:
        call_command(
            "connect_discourse",
            community="garden",
            base_url="https://f.example.org",
            secret=SECRET,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    path = kwargs.pop("file", None) or str(_jsonl(tmp_path, ["post_created"]))
    with pytest.raises(CommandError, match=message):
        call_command("replay_discourse", path, **kwargs, stdout=StringIO())
    assert not InboundDelivery.objects.exists()


def test_replay_needs_a_connection_for_the_community(community: Community, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no Discourse connection"):
        call_command(
            "replay_discourse",
            str(_jsonl(tmp_path, ["post_created"])),
            community="garden",
            stdout=StringIO(),
        )
