"""Fixtures for postmortem tests: a space, a live clause and a resolved incident."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from community.models import Clause, Community, ContractVersion, Membership, Space
from incidents.models import Incident
from incidents.postmortems import services
from incidents.postmortems.models import Postmortem
from tests.contract.helpers import published_clause
from tests.postmortems.helpers import resolved_incident


@pytest.fixture
def space(community: Community) -> Space:
    return Space.objects.create(community=community, name="Proposals", external_id="5")


@pytest.fixture
def mod_membership(moderator: User, community: Community) -> Membership:
    return Membership.objects.get(community=community, user=moderator)


@pytest.fixture
def clause(community: Community) -> Clause:
    return published_clause(community)


@pytest.fixture
def version(clause: Clause) -> ContractVersion:
    return ContractVersion.objects.get(contract__community=clause.community, number=1)


@pytest.fixture
def incident(
    community: Community, space: Space, moderator: User, member_membership: Membership
) -> Incident:
    return resolved_incident(
        community=community, space=space, moderator=moderator, parties=[member_membership]
    )


@pytest.fixture
def doc(incident: Incident, moderator: User) -> Postmortem:
    return services.start_postmortem(incident=incident, by=moderator)
