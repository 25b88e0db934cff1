"""Shared pieces for incident tests: spaces, a declared incident, a runbook like the demo's."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from community.models import Community, ConductEvent, Membership, Space
from incidents import services
from incidents.models import Incident, Runbook
from incidents.starter_runbooks import RUNBOOK_A, RUNBOOK_B, install_starter_runbooks


@pytest.fixture
def space(community: Community) -> Space:
    return Space.objects.create(community=community, name="Proposals", external_id="5")


@pytest.fixture
def other_space(other_community: Community) -> Space:
    return Space.objects.create(community=other_community, name="Openings", external_id="8")


@pytest.fixture
def mod_actor(moderator: User) -> services.Actor:
    return services.Actor.person(moderator)


@pytest.fixture
def incident(
    community: Community, space: Space, mod_actor: services.Actor, member_membership: Membership
) -> Incident:
    return services.declare_incident(
        community=community,
        title="Proposals: the vote got heated",
        severity="SEV3",
        spaces=[space],
        parties=[member_membership],
        actor=mod_actor,
    )


@pytest.fixture
def runbook_a(community: Community) -> Runbook:
    return install_starter_runbooks(community=community)[RUNBOOK_A]


@pytest.fixture
def runbook_b(community: Community) -> Runbook:
    return install_starter_runbooks(community=community)[RUNBOOK_B]


def fresh(incident: Incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def add_events(
    space: Space, *, posts: int, bad: int, at: datetime | None = None, prefix: str = "e"
) -> None:
    at = at or timezone.now() - timedelta(minutes=1)
    rows = [
        ConductEvent(
            community=space.community,
            space=space,
            kind="post",
            occurred_at=at,
            recorded_at=at,
            external_id=f"{prefix}-p{i}",
        )
        for i in range(posts)
    ] + [
        ConductEvent(
            community=space.community,
            space=space,
            kind="flag_upheld",
            category="inappropriate",
            severity="moderate",
            occurred_at=at,
            recorded_at=at,
            external_id=f"{prefix}-b{i}",
        )
        for i in range(bad)
    ]
    ConductEvent.objects.bulk_create(rows)
