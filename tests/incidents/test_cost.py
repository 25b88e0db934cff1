"""Incident cost (DESIGN §3.5): bad events of its spaces between start and resolution, the
share of each clause's budget, and the 20 % postmortem rule — with the real clauses of the
social contract, and with a stand-in source for the exact boundary."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from community.contract.slo import ClauseDefinition
from community.models import Community, ConductEvent, Space
from community.services import ServiceError
from incidents import cost, services
from incidents.rules import ClauseShare
from tests.contract.helpers import HOSTILITY, published_clause
from tests.incidents.conftest import add_events, fresh


@pytest.fixture
def share_of() -> Iterator[list[Decimal]]:
    """A stand-in source: one clause, whose consumed share the test sets."""
    value = [Decimal(0)]

    def source(
        *, community: Community, spaces: Sequence[Space], start: datetime, end: datetime
    ) -> list[ClauseShare]:
        return [ClauseShare(9, "Posts are not hostile", value[0])]

    previous = cost.set_clause_budget_source(source)
    yield value
    cost.set_clause_budget_source(previous)


def _resolve(incident, actor) -> None:
    services.transition_incident(
        incident=incident, to="resolved", expected_version=None, actor=actor
    )


def test_without_live_clauses_only_the_bad_events_are_counted(incident, space, mod_actor) -> None:
    add_events(space, posts=20, bad=4, at=timezone.now())
    _resolve(incident, mod_actor)
    after = fresh(incident)
    assert (after.cost_bad_events, after.cost_detail, after.postmortem_required) == (4, [], False)


def test_a_flag_rejected_later_is_not_part_of_the_cost(incident, space, mod_actor) -> None:
    now = timezone.now()
    add_events(space, posts=20, bad=0, at=now)
    for n in range(3):
        ConductEvent.objects.create(
            community=space.community,
            space=space,
            kind="flag_upheld",
            category="inappropriate",
            subject=f"post-{n}",
            occurred_at=now,
            recorded_at=now,
            external_id=f"upheld-{n}",
        )
    ConductEvent.objects.create(
        community=space.community,
        space=space,
        kind="flag_rejected",
        subject="post-0",
        occurred_at=now,
        recorded_at=now,
        external_id="rejected-0",
    )
    _resolve(incident, mod_actor)
    assert fresh(incident).cost_bad_events == 2


def test_exactly_twenty_percent_needs_no_postmortem(incident, mod_actor, share_of) -> None:
    share_of[0] = Decimal("0.2")
    _resolve(incident, mod_actor)
    after = fresh(incident)
    assert after.cost_detail == [
        {
            "clause_id": 9,
            "title": "Posts are not hostile",
            "share": "0.2000",
            "percent": "20.0",
            "over_limit": False,
        }
    ]
    assert not after.postmortem_required


def test_over_twenty_percent_requires_a_published_postmortem_and_a_reason_does_not_replace_it(
    incident, mod_actor, share_of
) -> None:
    share_of[0] = Decimal("0.2001")
    _resolve(incident, mod_actor)
    assert fresh(incident).postmortem_required
    with pytest.raises(ServiceError, match="restorative postmortem is published"):
        services.transition_incident(
            incident=incident, to="closed", expected_version=None, actor=mod_actor
        )
    with pytest.raises(ServiceError, match="restorative postmortem is published"):
        services.transition_incident(
            incident=incident,
            to="closed",
            expected_version=None,
            actor=mod_actor,
            reason="Postmortem held in the forum thread; notes linked there.",
        )
    assert fresh(incident).status == "resolved"
    assert fresh(incident).close_reason == ""


def test_the_real_clause_budget_is_read_from_the_social_contract(
    community, space, incident, mod_actor
) -> None:
    # 500 posts in the window at target 0.98 allow 10 bad events; the incident causes 3.
    clause = published_clause(community, HOSTILITY)
    add_events(space, posts=500, bad=0, at=timezone.now() - timedelta(days=2), prefix="old")
    add_events(space, posts=0, bad=3, at=timezone.now())
    _resolve(incident, mod_actor)
    after = fresh(incident)
    assert after.cost_bad_events == 3
    assert after.cost_detail == [
        {
            "clause_id": clause.pk,
            "title": "Disagree without hostility",
            "share": "0.3000",
            "percent": "30.0",
            "over_limit": True,
        }
    ]
    assert after.postmortem_required


def test_a_clause_scoped_to_other_spaces_is_not_charged(
    community, space, incident, mod_actor
) -> None:
    elsewhere = Space.objects.create(community=community, name="Lounge", external_id="7")
    scoped = ClauseDefinition(**{**HOSTILITY.__dict__, "spaces": (elsewhere.pk,)})
    published_clause(community, scoped)
    add_events(space, posts=0, bad=3, at=timezone.now())
    _resolve(incident, mod_actor)
    assert fresh(incident).cost_detail == []


def test_events_of_other_spaces_do_not_count(incident, community, mod_actor) -> None:
    elsewhere = Space.objects.create(community=community, name="Lounge", external_id="7")
    add_events(elsewhere, posts=5, bad=5, at=timezone.now())
    _resolve(incident, mod_actor)
    assert fresh(incident).cost_bad_events == 0
