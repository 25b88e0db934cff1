"""The boards on the demo as ``seed_demo`` leaves it: the fairness figures stored (and flagging
the newcomers), and release health read from the stored clause snapshots with the same verdicts
as counting the events."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from boards.flow import flow_health
from boards.models import FairnessSnapshot
from boards.presenters import release_callouts
from boards.releases import CONTRACT
from boards.snapshots import fairness_board
from community.contract.releases.health import COVER, counted_around, version_definitions
from community.models import Clause, Community, ContractVersion
from demo.context import DEMO_SLUG

# Built as seed_demo builds it for people (its steps' after-commit work runs at once).
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_boards_read_what_is_stored_with_the_same_verdicts() -> None:
    call_command("seed_demo", stdout=StringIO())
    community = Community.objects.get(slug=DEMO_SLUG)
    stored = FairnessSnapshot.objects.get(community=community, window_days=30)
    board = fairness_board(community=community, window_days=30)
    assert board.at == stored.computed_at
    assert board.tenure.cohorts[0].name == "newcomers" and board.tenure.cohorts[0].flagged

    now = timezone.now()
    flow = flow_health(community=community, at=now)
    # Every change older than a day reads the stored snapshots. A change of the last day reads
    # them too unless the demo's one live hour fell in a single hourly row that an evaluation
    # after the change overwrote (seeding in the hour's last minute): then it counts the events.
    settled = [change for change in flow.releases if now - change.at >= COVER]
    assert settled and all(
        c.snapshot_window is not None for change in settled for c in change.clauses
    )
    callouts = release_callouts(flow)
    assert any("got worse after contract version 2" in line for line in callouts), callouts
    live = [
        (c.pk, d)
        for c in Clause.objects.live().filter(community=community)
        if (d := c.published_definition()) is not None
    ]
    for change in flow.releases:
        if change.kind == CONTRACT:
            number = int(change.label.rsplit(" ", 1)[1])
            version = ContractVersion.objects.get(contract__community=community, number=number)
            definitions = version_definitions(version)
        else:
            definitions = live
        counted = counted_around(
            community_id=community.pk, at=change.at, definitions=definitions, now=now
        )
        assert {c.clause_id for c in counted if c.worse} == {
            c.clause_id for c in change.clauses if c.worse
        }, change.label
