"""Exactly one facilitator; handoffs take effect only on acceptance; other roles."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from community.models import Community, Membership, Role
from community.services import ServiceError, set_role
from incidents import services
from incidents.models import IncidentRole
from tests.conftest import make_user
from tests.incidents.conftest import fresh


@pytest.fixture
def second_mod(community: Community) -> User:
    user = make_user("sam_secondmod")
    set_role(community=community, user=user, role=Role.MODERATOR)
    return user


def _m(community: Community, user: User) -> Membership:
    return community.memberships.get(user=user)


def test_an_offer_takes_effect_only_when_accepted(
    incident, community, mod_actor, second_mod
) -> None:
    offer = services.offer_facilitator(
        incident=incident, to=_m(community, second_mod), expected_version=1, actor=mod_actor
    )
    assert not IncidentRole.objects.filter(incident=incident).exists()
    assert fresh(incident).facilitator_at is None
    services.respond_to_handoff(handoff=offer, user=second_mod, accept=True)
    role = IncidentRole.objects.get(incident=incident)
    assert role.membership.user == second_mod
    assert fresh(incident).facilitator_at is not None
    texts = list(incident.timeline.values_list("text", flat=True))
    assert "Offered the facilitator role to sam_secondmod." in texts
    assert "sam_secondmod is the facilitator." in texts


def test_only_the_person_offered_can_accept(
    incident, community, mod_actor, moderator, second_mod
) -> None:
    offer = services.offer_facilitator(
        incident=incident, to=_m(community, second_mod), expected_version=1, actor=mod_actor
    )
    with pytest.raises(ServiceError, match="Only sam_secondmod"):
        services.respond_to_handoff(handoff=offer, user=moderator, accept=True)
    assert not IncidentRole.objects.exists()


def test_a_handoff_replaces_the_facilitator_and_keeps_the_first_time(
    incident, community, mod_actor, moderator, second_mod
) -> None:
    services.offer_facilitator(
        incident=incident, to=_m(community, moderator), expected_version=1, actor=mod_actor
    )
    first_time = fresh(incident).facilitator_at
    offer = services.offer_facilitator(
        incident=incident, to=_m(community, second_mod), expected_version=None, actor=mod_actor
    )
    assert IncidentRole.objects.active().get().membership.user == moderator
    services.respond_to_handoff(handoff=offer, user=second_mod, accept=True)
    active = IncidentRole.objects.active().get(kind="facilitator")
    assert active.membership.user == second_mod
    assert IncidentRole.objects.filter(kind="facilitator").count() == 2
    assert fresh(incident).facilitator_at == first_time
    assert "sam_secondmod took over as facilitator from maya_mod." in list(
        incident.timeline.values_list("text", flat=True)
    )


def test_the_database_refuses_a_second_active_facilitator(incident, community, moderator) -> None:
    IncidentRole.objects.create(
        incident=incident, kind="facilitator", membership=_m(community, moderator)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentRole.objects.create(
            incident=incident, kind="facilitator", membership=_m(community, moderator)
        )


def test_a_second_open_offer_is_refused(incident, community, mod_actor, second_mod, member) -> None:
    other = make_user("tia_thirdmod")
    set_role(community=community, user=other, role=Role.MODERATOR)
    services.offer_facilitator(
        incident=incident, to=_m(community, second_mod), expected_version=None, actor=mod_actor
    )
    with pytest.raises(ServiceError, match="withdraw it first"):
        services.offer_facilitator(
            incident=incident, to=_m(community, other), expected_version=None, actor=mod_actor
        )


def test_a_member_who_is_not_a_moderator_cannot_facilitate(
    incident, member_membership, mod_actor
) -> None:
    with pytest.raises(ServiceError, match="cannot facilitate"):
        services.offer_facilitator(
            incident=incident, to=member_membership, expected_version=None, actor=mod_actor
        )
    assert not incident.handoffs.exists()


def test_a_declined_offer_changes_no_role(incident, community, mod_actor, second_mod) -> None:
    offer = services.offer_facilitator(
        incident=incident, to=_m(community, second_mod), expected_version=None, actor=mod_actor
    )
    services.respond_to_handoff(handoff=offer, user=second_mod, accept=False)
    assert not IncidentRole.objects.exists()
    with pytest.raises(ServiceError, match="no longer open"):
        services.respond_to_handoff(handoff=offer, user=second_mod, accept=True)


def test_support_person_may_be_any_member_but_the_deputy_must_moderate(
    incident, member_membership, mod_actor
) -> None:
    services.assign_role(
        incident=incident,
        kind="support",
        membership=member_membership,
        expected_version=None,
        actor=mod_actor,
    )
    role = IncidentRole.objects.active().get(kind="support")
    assert role.checklist
    with pytest.raises(ServiceError, match="must be a moderator"):
        services.assign_role(
            incident=incident,
            kind="deputy",
            membership=member_membership,
            expected_version=None,
            actor=mod_actor,
        )
    with pytest.raises(ServiceError, match="offered"):
        services.assign_role(
            incident=incident,
            kind="facilitator",
            membership=member_membership,
            expected_version=None,
            actor=mod_actor,
        )


def test_a_role_from_another_community_is_refused(
    incident, other_community, other_moderator, mod_actor
) -> None:
    with pytest.raises(ServiceError, match="not a member"):
        services.offer_facilitator(
            incident=incident,
            to=_m(other_community, other_moderator),
            expected_version=None,
            actor=mod_actor,
        )


def test_checklist_items_are_ticked_once_and_noted(
    incident, community, mod_actor, moderator
) -> None:
    services.offer_facilitator(
        incident=incident, to=_m(community, moderator), expected_version=None, actor=mod_actor
    )
    role = IncidentRole.objects.active().get()
    assert [done for _, _, done in role.checklist_items()] == [False] * len(role.checklist)
    services.tick_checklist_item(role=role, index=2, actor=mod_actor)
    role.refresh_from_db()
    assert role.done_items == [2]
    assert incident.timeline.filter(text__contains="Check in privately").exists()
    with pytest.raises(ServiceError, match="already ticked"):
        services.tick_checklist_item(role=role, index=2, actor=mod_actor)
    with pytest.raises(ServiceError, match="No such"):
        services.tick_checklist_item(role=role, index=99, actor=mod_actor)
