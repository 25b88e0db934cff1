"""The feature packages' tables in an export: a game day's sandbox (left out, made afresh on
import, never exported on its own), and the ids that live in a replay's results and in a
notification's link."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from community.contract.replay.models import ImportedEvent
from community.hidden import listed
from community.models import Community, Membership, Role, Visibility
from community.services import set_role
from incidents.gamedays.models import GameDay, GameDayStatus
from incidents.postmortems.circle import services as circle_services
from incidents.postmortems.models import Agreement
from operations.remap import IdMap, remap_link, remap_replay_results
from operations.sandboxes import ENDED_BY_IMPORT
from tests.circle.helpers import circle
from tests.conftest import make_user
from tests.operations.helpers import export_doc


def _game_day(community: Community, moderator: User, *, status: str) -> GameDay:
    sandbox = Community.objects.create(
        slug=f"{community.slug}-rehearsal-1", name="rehearsal", visibility=Visibility.MEMBERS
    )
    return GameDay.objects.create(
        community=community,
        sandbox=sandbox,
        runbook_name="Runbook A",
        sandbox_runbook_id=7,
        recording_kind="sample",
        recording_title="A heated thread",
        events=[{"at": 1.5, "kind": "post", "space": "Thread", "member": "Member 1"}],
        speed=10,
        status=status,
        emitted=1,
        started_by=moderator,
        report={"events_sent": 1, "steps_done": 2},
    )


def test_a_game_day_comes_across_with_a_new_empty_sandbox(
    community: Community, moderator: User, tmp_path: Path
) -> None:
    original = _game_day(community, moderator, status=GameDayStatus.FINISHED)
    doc = export_doc(community)
    (row,) = doc["tables"]["gamedays.gameday"]
    assert "sandbox" not in row and "sandbox_runbook_id" not in row
    assert doc["counts"]["community.community"] == 1, "the sandbox is not in the file"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    call_command("import_community", str(path), slug="copy", stdout=StringIO())
    copy = GameDay.objects.get(community__slug="copy")
    assert (copy.report, copy.events, copy.status, copy.runbook_name) == (
        original.report,
        original.events,
        "finished",
        "Runbook A",
    )
    assert copy.sandbox_id != original.sandbox_id and copy.sandbox_runbook_id == 0
    assert copy.sandbox.visibility == Visibility.MEMBERS
    assert not copy.sandbox.memberships.exists() and not copy.sandbox.events.exists()
    assert not listed(Community.objects.filter(pk=copy.sandbox_id)).exists()


def test_a_running_game_day_arrives_ended_and_says_why(
    community: Community, moderator: User, tmp_path: Path
) -> None:
    _game_day(community, moderator, status=GameDayStatus.RUNNING)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export_doc(community)))
    call_command("import_community", str(path), slug="copy", stdout=StringIO())
    copy = GameDay.objects.get(community__slug="copy")
    assert copy.status == GameDayStatus.FINISHED and copy.ended_at is not None
    assert copy.stop_reason == ENDED_BY_IMPORT


def test_a_sandbox_is_never_exported_on_its_own(
    community: Community, moderator: User, tmp_path: Path
) -> None:
    game_day = _game_day(community, moderator, status=GameDayStatus.FINISHED)
    output = tmp_path / "sandbox.json"
    with pytest.raises(CommandError, match="is a game day's sandbox") as refused:
        call_command(
            "export_community",
            community=game_day.sandbox.slug,
            output=str(output),
            stdout=StringIO(),
        )
    assert "export the community it rehearses" in str(refused.value)
    assert list(tmp_path.iterdir()) == [], "nothing was written"


def test_a_notification_link_names_the_new_slug_and_rows() -> None:
    ids = IdMap()
    ids.add("postmortems.postmortem", 4, 40)
    ids.add("postmortems.actionitem", 9, 90)
    ids.add("budgets.appeal", 2, 20)
    ids.add("releases.canary", 3, 30)
    assert remap_link("/c/old/postmortems/4/circle/", "new", ids) == "/c/new/postmortems/40/circle/"
    assert (
        remap_link("/c/old/postmortems/4/#item-9", "new", ids) == "/c/new/postmortems/40/#item-90"
    )
    assert remap_link("/c/old/budgets/appeals/#appeal-2", "new", ids) == (
        "/c/new/budgets/appeals/#appeal-20"
    )
    assert remap_link("/c/old/contract/releases/canaries/3/", "new", ids) == (
        "/c/new/contract/releases/canaries/30/"
    )
    assert remap_link("/c/old/budgets/mine/", "new", ids) == "/c/new/budgets/mine/"
    # A row the file does not hold: the link goes to the community, never to another's row.
    assert remap_link("/c/old/incidents/5/", "new", ids) == "/c/new/"
    assert remap_link("/c/old/budgets/appeals/#appeal-8", "new", ids) == "/c/new/budgets/appeals/"
    assert remap_link("", "new", ids) == ""
    assert remap_link("https://example.org/x", "new", ids) == "https://example.org/x"


def test_a_replays_results_name_the_new_spaces() -> None:
    ids = IdMap()
    ids.add("community.space", 3, 33)
    results = {
        "events": 10,
        "alerts": [{"scope": "3", "rule": "ticket"}, {"scope": "", "rule": "page"}],
        "space_names": {"3": "Growing Tips", "8": "Gone"},
    }
    assert remap_replay_results(results, ids) == {
        "events": 10,
        "alerts": [{"scope": "33", "rule": "ticket"}, {"scope": "", "rule": "page"}],
        "space_names": {"33": "Growing Tips"},
    }


def test_a_revised_agreement_comes_across_pointing_at_the_copy_of_the_earlier_one(
    community: Community, moderator: User, member_membership: Membership, tmp_path: Path
) -> None:
    rafa_user = make_user("rafa_responsible")
    set_role(community=community, user=rafa_user, role=Role.MEMBER)
    rafa = Membership.objects.get(user=rafa_user)
    ring = circle(
        community=community, moderator=moderator, harmed=member_membership, responsible=rafa
    )
    earlier = circle_services.add_agreement(
        postmortem=ring.postmortem,
        text="Reply to every post with an apology",
        owner=ring.responsible,
        due_on=timezone.localdate() + timedelta(days=3),
        by=None,
    )
    circle_services.answer_consent(agreement=earlier, participant=ring.harmed, give=False)
    circle_services.revise_agreement(
        agreement=earlier,
        text="Post one short note",
        owner=ring.responsible,
        due_on=timezone.localdate() + timedelta(days=5),
        by=moderator,
    )
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export_doc(community)))
    call_command("import_community", str(path), slug="copy", stdout=StringIO())
    copies = Agreement.objects.filter(postmortem__community__slug="copy")
    old = copies.get(text="Reply to every post with an apology")
    new = copies.get(text="Post one short note")
    assert (old.status, new.status, new.revises_id) == ("withdrawn", "open", old.pk)
    assert old.consents.get(participant__role="harmed").answer == "refused"
    assert set(new.consents.values_list("answer", flat=True)) == {"pending"}


def test_imported_history_stays_imported_in_the_copy(
    community: Community, api: APIClient, tmp_path: Path
) -> None:
    """An event that came in as imported history keeps its note in the copy, so the copy's
    live alert windows leave it out as the source's do (docs/replay.md)."""
    now = timezone.now()
    sent = {
        "external_id": "imported-post",
        "kind": "post",
        "occurred_at": (now - timedelta(days=1)).isoformat(),
        "recorded_at": (now - timedelta(days=1)).isoformat(),
        "member": {"external_id": "7"},
    }
    assert api.post("/api/v1/events/", {"events": [sent]}, format="json").status_code == 200
    assert ImportedEvent.objects.filter(community=community).count() == 1
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export_doc(community)))
    call_command("import_community", str(path), slug="copy", stdout=StringIO())
    (note,) = ImportedEvent.objects.filter(community__slug="copy")
    assert note.event.external_id == "imported-post"
    assert note.event.community_id == note.community_id
    original = ImportedEvent.objects.get(community=community)
    assert (note.recorded_at, note.received_at) == (original.recorded_at, original.received_at)
