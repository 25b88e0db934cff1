"""Declaring and moving an incident along its lifecycle; optimistic concurrency."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from community.models import Community, DomainEvent, Space
from community.services import ServiceError
from incidents import services
from incidents.models import Incident, TimelineEntry
from tests.incidents.conftest import fresh


def test_declaring_records_the_incident_its_timeline_and_the_contract_payload(
    incident: Incident, space: Space
) -> None:
    assert incident.status == "declared"
    assert incident.version == 1
    assert incident.timeline.get().kind == "declared"
    event = DomainEvent.objects.get(type="incident.declared")
    assert event.payload == {
        "incident_id": incident.pk,
        "title": "Proposals: the vote got heated",
        "severity": "SEV3",
        "status": "declared",
        "spaces": [
            {
                "id": space.pk,
                "name": "Proposals",
                "kind": "category",
                "source": "manual",
                "external_id": "5",
            }
        ],
        "declared_at": incident.declared_at.isoformat(),
        "detected_by": "moderator",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": "  "}, "title"),
        ({"severity": "SEV9"}, "Severity"),
        ({"spaces": []}, "SEV3"),
    ],
)
def test_declaring_bad_input_is_refused_and_stores_nothing(
    community: Community, space: Space, mod_actor: services.Actor, kwargs: dict, message: str
) -> None:
    args = {"title": "Heated", "severity": "SEV3", "spaces": [space], **kwargs}
    with pytest.raises(ServiceError, match=message):
        services.declare_incident(community=community, actor=mod_actor, **args)
    assert not Incident.objects.exists()
    assert not DomainEvent.objects.exists()


def test_a_space_of_another_community_cannot_be_in_an_incident(
    community: Community, other_space: Space, mod_actor: services.Actor
) -> None:
    with pytest.raises(ServiceError, match="another community"):
        services.declare_incident(
            community=community, title="x", severity="SEV2", spaces=[other_space], actor=mod_actor
        )
    assert not Incident.objects.exists()


def test_each_step_of_the_lifecycle_gets_its_timestamp(
    incident: Incident, mod_actor: services.Actor
) -> None:
    for to in ("mitigating", "monitoring", "resolved", "closed"):
        incident = services.transition_incident(
            incident=incident, to=to, expected_version=incident.version, actor=mod_actor
        )
    incident = fresh(incident)
    assert incident.status == "closed"
    assert incident.declared_at < incident.mitigating_at < incident.monitoring_at
    assert incident.monitoring_at < incident.resolved_at < incident.closed_at
    statuses = [e.data["to"] for e in incident.timeline.filter(kind="status")]
    assert statuses == ["mitigating", "monitoring", "resolved", "closed"]
    updates = DomainEvent.objects.filter(type="incident.updated").order_by("created_at")
    assert next(u.payload["changes"] for u in updates) == {"status": ["declared", "mitigating"]}
    assert updates.last().payload["status"] == "closed"


def test_an_out_of_order_transition_is_refused_and_changes_nothing(
    incident: Incident, mod_actor: services.Actor
) -> None:
    with pytest.raises(ServiceError, match="cannot become monitoring"):
        services.transition_incident(
            incident=incident, to="monitoring", expected_version=1, actor=mod_actor
        )
    after = fresh(incident)
    assert (after.status, after.version, after.monitoring_at) == ("declared", 1, None)
    assert after.timeline.count() == 1


def test_two_moderators_at_once_one_wins_the_other_is_told_to_reload(
    incident: Incident, mod_actor: services.Actor, community: Community
) -> None:
    seen_by_both = incident.version
    services.transition_incident(
        incident=incident, to="mitigating", expected_version=seen_by_both, actor=mod_actor
    )
    with pytest.raises(services.StaleIncident, match="Reload"):
        services.transition_incident(
            incident=incident, to="resolved", expected_version=seen_by_both, actor=mod_actor
        )
    after = fresh(incident)
    assert after.status == "mitigating"
    assert after.resolved_at is None


def test_updating_fields_records_what_changed(
    incident: Incident, mod_actor: services.Actor, community: Community
) -> None:
    updated = services.update_incident(
        incident=incident, expected_version=1, actor=mod_actor, severity="SEV2", title="Renamed"
    )
    assert updated.version == 2
    event = DomainEvent.objects.get(type="incident.updated")
    assert event.payload["changes"] == {
        "severity": ["SEV3", "SEV2"],
        "title": ["Proposals: the vote got heated", "Renamed"],
    }
    assert TimelineEntry.objects.filter(incident=incident, kind="updated").count() == 1


def test_resolving_computes_the_cost_and_the_response_metrics(
    incident: Incident, mod_actor: services.Actor, space: Space, moderator: User
) -> None:
    from tests.incidents.conftest import add_events

    add_events(space, posts=10, bad=3, at=timezone.now())
    me = space.community.memberships.get(user=moderator)
    services.offer_facilitator(incident=incident, to=me, expected_version=None, actor=mod_actor)
    services.transition_incident(
        incident=incident, to="resolved", expected_version=None, actor=mod_actor
    )
    after = fresh(incident)
    assert after.cost_bad_events == 3
    m = services.incident_metrics(after)
    assert m.to_facilitator is not None and m.to_resolution is not None
    assert m.to_cooldown is None
    assert after.timeline.filter(kind="metrics").exists()
