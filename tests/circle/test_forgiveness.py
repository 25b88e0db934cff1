"""Forgiveness: once every agreement of a responsible participant is kept, their charges from
the incident are released in one action (ledger entries, charges untouched) and the budget
recovers at once; refused, changing nothing, while an agreement is open or was not kept."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from budgets import services as budget_services
from budgets.models import (
    Charge,
    Forgiveness,
    ForgivenessKind,
    LiftCause,
    MemberBudget,
    MemberCooldown,
)
from community.models import Community, DomainEvent, Space
from community.services import ServiceError
from incidents.postmortems.circle import services
from incidents.postmortems.models import CircleForgiveness
from tests.circle.helpers import Circle, agreed, friction
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def _remaining(circle: Circle) -> Decimal:
    return MemberBudget.objects.get(membership=circle.responsible.membership).remaining


def test_forgiving_while_an_agreement_is_open_is_refused_and_changes_nothing(
    ring: Circle, moderator: User
) -> None:
    friction(membership=ring.responsible.membership, space=ring.space, external_id="f-1")
    kept = agreed(ring.postmortem, ring.responsible)
    services.decide_agreement(agreement=kept, kept=True, by=moderator)
    agreed(ring.postmortem, ring.responsible, text="Check in with the facilitator in a week")
    with pytest.raises(ServiceError, match="1 of rafa_responsible's agreements is still open"):
        services.forgive_participant(participant=ring.responsible, by=moderator)
    assert not Forgiveness.objects.exists()
    assert not CircleForgiveness.objects.exists()


def test_an_agreement_not_kept_leaves_the_charges_as_they_are(
    ring: Circle, moderator: User
) -> None:
    friction(membership=ring.responsible.membership, space=ring.space, external_id="f-1")
    services.decide_agreement(
        agreement=agreed(ring.postmortem, ring.responsible), kept=False, by=moderator
    )
    with pytest.raises(ServiceError, match="Not every agreement"):
        services.forgive_participant(participant=ring.responsible, by=moderator)
    with pytest.raises(ServiceError, match="responsible participant"):
        services.forgive_participant(participant=ring.harmed, by=moderator)
    assert not Forgiveness.objects.exists()


def test_kept_agreements_forgive_the_related_charges_and_the_budget_recovers_at_once(
    ring: Circle, moderator: User, django_capture_on_commit_callbacks: object
) -> None:
    rafa = ring.responsible.membership
    elsewhere = Space.objects.create(community=ring.postmortem.community, name="Recipes")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        related = friction(membership=rafa, space=ring.space, external_id="f-1")
        unrelated = friction(membership=rafa, space=elsewhere, external_id="f-2")
        before = friction(
            membership=rafa,
            space=ring.space,
            at=ring.postmortem.incident.declared_at - timedelta(days=3),
            external_id="f-3",
        )
    spent = _remaining(ring)
    services.decide_agreement(
        agreement=agreed(ring.postmortem, ring.responsible), kept=True, by=moderator
    )
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        done = services.forgive_participant(participant=ring.responsible, by=moderator)
    assert done.charge_ids == [related.pk]
    assert done.cooldown_lifted is False  # no pause was running
    entry = Forgiveness.objects.get()
    assert entry.charge_id == related.pk
    assert entry.kind == ForgivenessKind.AGREEMENT
    assert "Seed swap: a tense trade" in entry.reason
    assert entry.by == moderator
    # The charges themselves are never edited.
    assert Charge.objects.get(pk=related.pk).cost == related.cost
    assert {unrelated.pk, before.pk} == set(
        Charge.objects.filter(forgiveness__isnull=True).values_list("pk", flat=True)
    )
    assert _remaining(ring) == spent + related.cost
    with pytest.raises(ServiceError, match="already forgiven"):
        services.forgive_participant(participant=ring.responsible, by=moderator)
    assert Forgiveness.objects.count() == 1


def test_with_nothing_left_to_forgive_the_action_says_so(ring: Circle, moderator: User) -> None:
    services.decide_agreement(
        agreement=agreed(ring.postmortem, ring.responsible), kept=True, by=moderator
    )
    with pytest.raises(ServiceError, match="nothing to forgive"):
        services.forgive_participant(participant=ring.responsible, by=moderator)
    assert not CircleForgiveness.objects.exists()


def _paused(ring: Circle, community: Community, capture: object) -> MemberCooldown:
    """Enough friction in the incident's space to exhaust Rafa's budget, whose tier pauses
    posting for a day."""
    budget_services.update_policy(
        community=community,
        changes={"tier_actions": {"exhausted": ["member_cooldown"]}, "cooldown_hours": 24},
        by=None,
    )
    rafa = ring.responsible.membership
    with capture(execute=True):  # type: ignore[operator]
        for n in range(6):
            friction(membership=rafa, space=ring.space, external_id=f"pause-{n}")
    return MemberCooldown.objects.get(membership=rafa, lifted_at__isnull=True)


def test_a_forgiveness_that_lifts_a_pause_says_so_on_the_circle_page_and_in_the_api(
    ring: Circle,
    community: Community,
    moderator: User,
    django_capture_on_commit_callbacks: object,
) -> None:
    pause = _paused(ring, community, django_capture_on_commit_callbacks)
    services.decide_agreement(
        agreement=agreed(ring.postmortem, ring.responsible), kept=True, by=moderator
    )
    api = api_client_for(community, "read", "moderate")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        answer = api.post(f"/api/v1/participants/{ring.responsible.pk}/forgive/")
    assert answer.status_code == 201
    assert answer.json()["cooldown_lifted"] is True
    assert CircleForgiveness.objects.get().cooldown_lifted is True
    pause.refresh_from_db()
    assert pause.lifted_at is not None and pause.lift_cause == LiftCause.AGREEMENT
    assert DomainEvent.objects.filter(type="budget.member_cooldown_lifted").count() == 1
    client = Client()
    client.force_login(moderator)
    page = client.get(f"/c/garden/postmortems/{ring.postmortem.pk}/circle/").content.decode()
    assert "Their pause on posting was lifted with it." in page


def test_a_pause_the_forgiveness_does_not_lift_is_not_reported_lifted(
    ring: Circle,
    community: Community,
    moderator: User,
    django_capture_on_commit_callbacks: object,
) -> None:
    pause = _paused(ring, community, django_capture_on_commit_callbacks)
    elsewhere = Space.objects.create(community=community, name="Recipes")
    rafa = ring.responsible.membership
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        for n in range(6):  # friction elsewhere keeps the budget exhausted on its own
            friction(membership=rafa, space=elsewhere, external_id=f"elsewhere-{n}")
    services.decide_agreement(
        agreement=agreed(ring.postmortem, ring.responsible), kept=True, by=moderator
    )
    done = services.forgive_participant(participant=ring.responsible, by=moderator)
    assert done.charge_ids and done.cooldown_lifted is False
    pause.refresh_from_db()
    assert pause.lifted_at is None
