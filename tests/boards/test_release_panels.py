"""The release panels of the boards: change safety counts the contract changes rolled back
(trials rolled back by their gate or a moderator), and the flow board marks every contract
version and forgiveness policy change on the clause charts, with each clause over the 14 days
before and after and a call-out when one got worse; the CSV says the same; query counts stay
the same at two sizes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from boards.change_safety import Share, change_safety
from boards.flow import flow_health
from boards.presenters import clause_rows, release_callouts
from budgets.services import update_policy
from community.contract.evaluation import evaluate_community
from community.contract.releases.canary import roll_back_canary, start_canary
from community.contract.services import publish_contract, save_clause
from community.models import Clause, ClauseSnapshot, Community
from community.services import ingest_events
from tests.boards.helpers import seed_disparity
from tests.contract.helpers import posts_and_flags, published_clause
from tests.releases.helpers import ready_for_trial

pytestmark = pytest.mark.django_db


def test_change_safety_counts_trials_rolled_back(community: Community, moderator: User) -> None:
    _, trial, _ = ready_for_trial(community)  # version 1 published, a stricter draft
    canary = start_canary(
        community=community,
        space_ids=[trial.pk],
        duration_hours=24,
        summary="Stricter",
        by=None,
    )
    before = change_safety(community=community, at=timezone.now())
    assert before.rolled_back == Share(0, 1)  # one version published, nothing rolled back
    roll_back_canary(canary=canary, reason="Too strict", by_name="maya_mod")
    board = change_safety(community=community, at=timezone.now())
    assert board.rolled_back == Share(1, 2)
    # By month (the version may be of last month): the rollback counts in the month it ended.
    assert sum(m.contract_changes for m in board.changes) == 2
    assert [m.rolled_back for m in board.changes][-1] == 1
    client = Client()
    client.force_login(moderator)
    page = client.get(f"/c/{community.slug}/boards/change-safety/").content.decode()
    assert "50 % (1 of 2)" in page
    csv = client.get(f"/c/{community.slug}/boards/change-safety.csv").content.decode()
    assert "change failure,all,contract changes rolled back,50 % (1 of 2)" in csv


def test_no_contract_change_says_so(community: Community, moderator: User) -> None:
    client = Client()
    client.force_login(moderator)
    page = client.get(f"/c/{community.slug}/boards/change-safety/").content.decode()
    assert "no contract changes yet" in page


def _a_worse_second_version(community: Community) -> Clause:
    """Version 1 twenty-five days ago; version 2 (a rewording) ten days ago, after which the
    share of good posts fell from 100 % to 80 %; a forgiveness policy change three days ago."""
    now = timezone.now()
    clause = published_clause(community, at=now - timedelta(days=25))
    ingest_events(
        community=community,
        events=posts_and_flags(
            community, posts=40, flags=0, at=now - timedelta(days=18), prefix="calm"
        ),
    )
    definition = clause.draft_definition()
    reworded = type(definition).from_dict({**definition.as_dict(), "wording": "Argue kindly."})
    save_clause(community=community, definition=reworded, clause=clause)
    with time_machine.travel(now - timedelta(days=10), tick=False):
        publish_contract(community=community, summary="Reworded", by=None)
    ingest_events(
        community=community,
        events=posts_and_flags(
            community, posts=40, flags=8, at=now - timedelta(days=5), prefix="heated"
        ),
    )
    with time_machine.travel(now - timedelta(days=3), tick=False):
        update_policy(
            community=community, changes={"cooldown_hours": 12}, by=None, note="Shorter pauses"
        )
    # The clause is evaluated every day, as the periodic task does: one point a day.
    for day in range(24, -1, -1):
        evaluate_community(community=community, now=now - timedelta(days=day))
    clause.refresh_from_db()
    return clause


def test_the_flow_board_marks_each_change_and_calls_out_a_worse_clause(
    community: Community, moderator: User
) -> None:
    clause = _a_worse_second_version(community)
    board = flow_health(community=community, at=timezone.now())
    labels = [c.label for c in board.releases]
    assert labels == [
        "Contract version 1",
        "Contract version 2",
        "Forgiveness policy version 2",
    ]
    # Evaluated every day, so the stored snapshots cover each change: each side is the clause
    # over its 30-day window, as the change went live and 14 days later (or now).
    v2 = board.releases[1].clause(clause.pk)
    assert v2 is not None and v2.before == 1 and v2.after == Decimal("0.9")
    assert v2.worse and v2.snapshot_window == 30
    policy = board.releases[2].clause(clause.pk)
    # The policy change: the heated posts were in its window before and after alike.
    assert policy is not None and policy.before == policy.after and not policy.worse
    (row,) = clause_rows(board)
    assert [(m.label, m.worse) for m in row.chart.markers] == [
        ("v1", False),
        ("v2", True),
        ("p2", False),
    ]
    xs = [m.x for m in row.chart.markers]
    assert xs == sorted(xs) and row.chart.left <= xs[0] and xs[-1] <= row.chart.right
    (callout,) = release_callouts(board)
    assert callout.startswith("“Disagree without hostility” got worse after contract version 2")
    assert "100 % of events were good over its 30 days up to the change, 90 % over its" in callout
    client = Client()
    client.force_login(moderator)
    page = client.get(f"/c/{community.slug}/boards/flow/").content.decode()
    assert callout in page
    assert 'class="chart-marker chart-flagged"' in page
    assert "it got worse after this change" in page
    csv = client.get(f"/c/{community.slug}/boards/flow.csv").content.decode()
    assert "release health,Disagree without hostility,Contract version 2 (" in csv
    assert "it got worse after this change." in csv


def test_without_snapshots_around_a_change_the_events_are_counted(
    community: Community, moderator: User
) -> None:
    clause = _a_worse_second_version(community)
    # Only today's evaluation is kept: nothing stored stands for the moments of the changes.
    ClauseSnapshot.objects.filter(bucket__lt=timezone.now() - timedelta(hours=2)).delete()
    board = flow_health(community=community, at=timezone.now())
    v2 = board.releases[1].clause(clause.pk)
    assert v2 is not None and v2.before == 1 and v2.after == Decimal("0.8")
    assert v2.worse and v2.snapshot_window is None
    policy = board.releases[2].clause(clause.pk)
    # The policy change: the heated posts were before it, nothing after.
    assert policy is not None and policy.after is None and not policy.worse
    (callout,) = release_callouts(board)
    assert "100 % of events were good in the 14 days before, 80 % after" in callout
    client = Client()
    client.force_login(moderator)
    page = client.get(f"/c/{community.slug}/boards/flow/").content.decode()
    assert callout in page


def test_the_flow_boards_query_count_stays_the_same_with_releases(
    community: Community, moderator: User
) -> None:
    _a_worse_second_version(community)
    client = Client()
    client.force_login(moderator)
    url = f"/c/{community.slug}/boards/flow/"
    seed_disparity(community, now=timezone.now())
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    seed_disparity(community, now=timezone.now(), scale=5)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
