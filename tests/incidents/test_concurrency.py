"""Two moderators acting on the same incident at the same moment, on real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from community.models import Community, Membership, Role, Space
from community.services import ServiceError
from incidents import services
from incidents.models import Cooldown, Incident
from tests.conftest import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*actions) -> list[object]:
    """Run each action in its own thread and connection, released at the same instant."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = actions[i]()
        except ServiceError as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def _setup() -> tuple[Community, Space, Incident, services.Actor, services.Actor]:
    community = Community.objects.create(slug="garden", name="Garden")
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    actors = []
    for name in ("maya_mod", "sam_mod"):
        user = make_user(name)
        Membership.objects.create(
            community=community, user=user, display_name=name, role=Role.MODERATOR
        )
        actors.append(services.Actor.person(user))
    incident = services.declare_incident(
        community=community, title="Heated", severity="SEV3", spaces=[space], actor=actors[0]
    )
    return community, space, incident, actors[0], actors[1]


def test_two_moderators_at_once_one_wins_the_other_is_told_why() -> None:
    _, _, incident, maya, sam = _setup()
    results = _race(
        lambda: services.transition_incident(
            incident=incident, to="mitigating", expected_version=1, actor=maya
        ),
        lambda: services.transition_incident(
            incident=incident, to="resolved", expected_version=1, actor=sam
        ),
    )
    errors = [r for r in results if isinstance(r, ServiceError)]
    wins = [r for r in results if isinstance(r, Incident)]
    assert len(wins) == 1 and len(errors) == 1
    assert isinstance(errors[0], services.StaleIncident)
    after = Incident.objects.get(pk=incident.pk)
    assert after.version == 2
    assert after.status == wins[0].status
    assert after.timeline.filter(kind="status").count() == 1


def test_two_cooldowns_started_at_once_on_one_space_leave_exactly_one() -> None:
    community, space, _, maya, sam = _setup()
    ends = timezone.now() + timedelta(hours=1)

    def start(actor: services.Actor) -> object:
        return services.start_cooldown(
            community=community, space=space, mode="read_only", ends_at=ends, actor=actor
        )

    results = _race(lambda: start(maya), lambda: start(sam))
    assert sum(isinstance(r, Cooldown) for r in results) == 1
    assert sum(isinstance(r, ServiceError) for r in results) == 1
    assert Cooldown.objects.active().count() == 1
