"""The demo's own proof: ``seed_demo`` runs the live evaluation at every minute of its last hour
(the flame war in the Off-topic Lounge), and a replay of each live clause over that hour finds
exactly the alert episodes the live path recorded, with the same burn rates."""

from __future__ import annotations

from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from community.contract.replay.models import ReplayStatus
from community.contract.replay.services import request_replay
from community.models import Clause, ClauseAlert, Community
from demo.context import DEMO_SLUG
from demo.contract import LIVE_MINUTES, live_period
from tests.replay.test_proof import _row

# Not inside a test transaction: the demo is built as ``seed_demo`` builds it for people, where
# what each step enqueues after commit runs at once (tests/test_demo_pages.py).
pytestmark = pytest.mark.django_db(transaction=True)

Row = tuple[str, str, str, str | None, str, str]


def _live(clause: Clause, start: datetime, end: datetime) -> list[Row]:
    """The episodes the live path had recorded by ``end`` for one clause: fired in the period,
    and still open at its end unless they had cleared by then (later steps of the build
    evaluate again, after the period, and may clear them afterwards)."""
    rows = []
    for alert in ClauseAlert.objects.filter(clause=clause, fired_at__gt=start, fired_at__lte=end):
        cleared = alert.cleared_at if alert.cleared_at and alert.cleared_at <= end else None
        rows.append(
            (
                alert.rule,
                alert.scope,
                alert.fired_at.isoformat(),
                None if cleared is None else cleared.isoformat(),
                str(alert.burn_rate_long),
                str(alert.burn_rate_short),
            )
        )
    return sorted(rows)


def test_a_replay_of_the_demo_hour_finds_exactly_the_live_alert_episodes() -> None:
    call_command("seed_demo", stdout=StringIO())
    community = Community.objects.get(slug=DEMO_SLUG)
    start, end = live_period(community)
    assert (end - start).total_seconds() == LIVE_MINUTES * 60
    clauses = list(Clause.objects.live().filter(community=community).order_by("pk"))
    assert len(clauses) == 4
    for clause in clauses:
        definition = clause.published_definition()
        assert definition is not None
        live = _live(clause, start, end)
        # Every live episode of the period began at a minute the schedule evaluated.
        assert all(datetime.fromisoformat(row[2]).second == 0 for row in live)
        # The replay task runs as soon as it is asked for (eager Celery, outside a transaction).
        replay = request_replay(
            community=community, definition=definition, start=start, end=end, clause=clause
        )
        replay.refresh_from_db()
        assert replay.status == ReplayStatus.DONE
        replayed = sorted(_row(alert) for alert in replay.results["alerts"])
        assert replayed == live, clause.slug
    # The flame war fired the hostility clause on every rule, community-wide and in the Lounge.
    hostility = next(c for c in clauses if c.slug == "disagree-without-hostility")
    rules = {(row[0], row[1]) for row in _live(hostility, start, end)}
    lounge = str(community.spaces.get(name="Off-topic Lounge").pk)
    assert {
        (rule, scope) for rule in ("page_fast", "page_slow", "ticket") for scope in ("", lounge)
    } <= rules
