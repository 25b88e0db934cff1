"""Incident cost (DESIGN §3.5): bad events of its spaces between start and resolution, the
share of each clause's budget, and the 20 % postmortem rule."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from community.models import Community, Space
from community.services import ServiceError
from incidents import cost, services
from incidents.rules import ClauseBudget
from tests.incidents.conftest import add_events, fresh


@pytest.fixture
def clause_allowing() -> Iterator[list[Decimal]]:
    """A fake clause source: one clause allowing ``allowed[0]`` bad events, counting them all."""
    allowed = [Decimal(100)]
    seen: list[int] = []

    def source(
        *, community: Community, spaces: Sequence[Space], event_ids: Sequence[int], at: datetime
    ) -> list[ClauseBudget]:
        seen.extend(event_ids)
        return [ClauseBudget(9, "Posts are not hostile", allowed[0], len(event_ids))]

    previous = cost.set_clause_budget_source(source)
    yield allowed
    cost.set_clause_budget_source(previous)


def test_without_a_clause_source_only_the_bad_events_are_counted(
    incident, space, mod_actor
) -> None:
    add_events(space, posts=20, bad=4, at=timezone.now())
    services.transition_incident(
        incident=incident, to="resolved", expected_version=None, actor=mod_actor
    )
    after = fresh(incident)
    assert (after.cost_bad_events, after.cost_detail, after.postmortem_required) == (4, [], False)


def test_up_to_twenty_percent_needs_no_postmortem(
    incident, space, mod_actor, clause_allowing
) -> None:
    add_events(space, posts=20, bad=20, at=timezone.now())
    services.transition_incident(
        incident=incident, to="resolved", expected_version=None, actor=mod_actor
    )
    after = fresh(incident)
    assert after.cost_detail == [
        {
            "clause_id": 9,
            "title": "Posts are not hostile",
            "allowed_bad": "100",
            "consumed": 20,
            "share": "0.2000",
        }
    ]
    assert not after.postmortem_required


def test_over_twenty_percent_requires_a_postmortem_and_a_reason_to_close(
    incident, space, mod_actor, clause_allowing
) -> None:
    add_events(space, posts=20, bad=21, at=timezone.now())
    services.transition_incident(
        incident=incident, to="resolved", expected_version=None, actor=mod_actor
    )
    assert fresh(incident).postmortem_required
    with pytest.raises(ServiceError, match="restorative postmortem"):
        services.transition_incident(
            incident=incident, to="closed", expected_version=None, actor=mod_actor
        )
    assert fresh(incident).status == "resolved"
    services.transition_incident(
        incident=incident,
        to="closed",
        expected_version=None,
        actor=mod_actor,
        reason="Postmortem held in the forum thread; notes linked there.",
    )
    closed = fresh(incident)
    assert closed.status == "closed"
    assert closed.close_reason.startswith("Postmortem held")


def test_events_of_other_spaces_do_not_count(incident, community, mod_actor) -> None:
    elsewhere = Space.objects.create(community=community, name="Lounge", external_id="7")
    add_events(elsewhere, posts=5, bad=5, at=timezone.now())
    services.transition_incident(
        incident=incident, to="resolved", expected_version=None, actor=mod_actor
    )
    assert fresh(incident).cost_bad_events == 0
