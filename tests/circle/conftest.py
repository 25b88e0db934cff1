from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from community.models import Community, ContractVersion, Membership, Role
from community.services import set_role
from incidents.postmortems import services as postmortem_services
from incidents.postmortems.models import Postmortem
from tests.circle.helpers import Circle, circle, joined
from tests.conftest import make_user
from tests.contract.helpers import published_clause
from tests.postmortems.helpers import in_review


def _member(community: Community, username: str, role: str = Role.MEMBER) -> Membership:
    user = make_user(username)
    set_role(community=community, user=user, role=role)
    return Membership.objects.get(community=community, user=user)


@pytest.fixture
def rafa(community: Community) -> Membership:
    """A member whose words were part of what happened."""
    return _member(community, "rafa_responsible")


@pytest.fixture
def sue(community: Community) -> Membership:
    """A plain member who may be asked to support someone."""
    return _member(community, "sue_supporter")


@pytest.fixture
def fran(community: Community) -> Membership:
    """A moderator who facilitates the circle."""
    return _member(community, "fran_facilitator", Role.MODERATOR)


@pytest.fixture
def ring(
    community: Community, moderator: User, member_membership: Membership, rafa: Membership
) -> Circle:
    """A circle where the member (harmed) and Rafa (responsible) both accepted."""
    return circle(
        community=community, moderator=moderator, harmed=member_membership, responsible=rafa
    )


@pytest.fixture
def with_facilitator(ring: Circle, fran: Membership, moderator: User) -> Circle:
    joined(ring.postmortem, fran, "facilitator", moderator)
    return ring


def published(doc: Postmortem, community: Community, owner: Membership) -> Postmortem:
    """The document through review to published (a guardrail item verified on a clause)."""
    clause = published_clause(community)
    version = ContractVersion.objects.get(contract__community=community, number=1)
    doc = in_review(doc, owner, clause, version)
    return postmortem_services.publish_postmortem(postmortem=doc, expected_version=None, by=None)
