"""Charges from conduct events, reversals, manual charges and forgiveness."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from budgets import services
from budgets.models import Charge, DirtyMember, Forgiveness, ForgivenessKind, MemberBudget
from community.models import Community
from community.services import ServiceError
from tests.budgets.helpers import event, membership, posts, send

pytestmark = pytest.mark.django_db


def test_each_friction_event_becomes_one_charge_costed_by_kind_and_severity(
    community: Community,
) -> None:
    send(
        community,
        event("flag_upheld", category="off_topic"),  # category default: minor
        event("moderator_warning", severity="severe"),
        event("post_removed"),  # no category: moderate
        event("flag_raised"),
        event("post"),
    )
    costs = sorted((c.kind, c.severity, c.cost) for c in Charge.objects.all())
    assert costs == [
        ("flag_upheld", "minor", Decimal("1.00")),
        ("moderator_warning", "severe", Decimal("8.00")),
        ("post_removed", "moderate", Decimal("3.00")),
    ]
    charge = Charge.objects.get(kind="flag_upheld")
    assert charge.occurred_at == charge.event.occurred_at
    assert "off topic" in charge.reason


def test_a_resent_batch_charges_nothing_twice(community: Community) -> None:
    flag = event("flag_upheld", external_id="f-1")
    send(community, flag)
    send(community, flag)
    assert Charge.objects.count() == 1
    services.charge_existing_events(community=community)
    assert Charge.objects.count() == 1


def test_a_rejected_flag_reverses_the_upheld_charge_with_its_own_entry(
    community: Community,
) -> None:
    send(community, event("flag_upheld", subject="p-7"), event("flag_upheld", subject="p-8"))
    send(community, event("flag_rejected", subject="p-7"))
    reversed_charge = Charge.objects.get(event__subject="p-7")
    entry = Forgiveness.objects.get()
    assert entry.charge == reversed_charge
    assert entry.kind == ForgivenessKind.FLAG_REJECTED
    assert list(Charge.objects.active()) == [Charge.objects.get(event__subject="p-8")]
    assert Charge.objects.count() == 2  # never deleted


def test_replaying_a_rejection_releases_nothing_more(community: Community) -> None:
    # Two upheld flags on the same post, one rejected: only one charge is released, even
    # when the stored events are replayed.
    send(community, event("flag_upheld", subject="p-7"), event("flag_upheld", subject="p-7"))
    send(community, event("flag_rejected", subject="p-7"))
    services.charge_existing_events(community=community)
    assert Forgiveness.objects.count() == 1
    assert Charge.objects.active().count() == 1


def test_charges_and_activity_mark_members_for_a_recalculation(
    community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    send(community, *posts(3, member="1"), event("flag_upheld", member="2"))
    assert DirtyMember.objects.count() == 2
    assert not MemberBudget.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        send(community, *posts(1, member="1"))
    budgets = dict(MemberBudget.objects.values_list("membership__display_name", "spent"))
    assert budgets == {"user1": Decimal(0), "user2": Decimal(3)}
    assert not DirtyMember.objects.exists()


def test_a_moderator_charge_and_grace(
    community: Community, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    send(community, *posts(2))
    member = membership(community)
    with django_capture_on_commit_callbacks(execute=True):
        charge = services.create_charge(
            community=community,
            membership=member,
            kind="moderator_warning",
            severity="moderate",
            reason="Personal remarks in Proposals",
            occurred_at=timezone.now() - timedelta(hours=2),
            by=moderator,
        )
    assert charge.cost == 3
    assert MemberBudget.objects.get(membership=member).spent == 3
    with django_capture_on_commit_callbacks(execute=True):
        entries = services.forgive_charges(charges=[charge], reason="Apologised", by=moderator)
    assert [e.kind for e in entries] == ["grace"]
    assert services.forgive_charges(charges=[charge], reason="again", by=moderator) == []
    assert MemberBudget.objects.get(membership=member).spent == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "post"}, "Only friction"),
        ({"severity": "huge"}, "Severity"),
        ({"reason": "  "}, "reason"),
        ({"cost": Decimal("-1")}, "cost"),
        ({"cost": Decimal("1.005")}, "cost"),
        ({"occurred_at": timezone.now() + timedelta(days=1)}, "future"),
    ],
)
def test_bad_manual_charges_are_refused_and_change_nothing(
    community: Community, moderator: User, overrides: dict, message: str
) -> None:
    send(community, *posts(1))
    kwargs = {
        "community": community,
        "membership": membership(community),
        "kind": "moderator_warning",
        "severity": "moderate",
        "reason": "x",
        "occurred_at": timezone.now(),
        "by": moderator,
    } | overrides
    with pytest.raises(ServiceError, match=message):
        services.create_charge(**kwargs)
    assert not Charge.objects.exists()


def test_a_charge_for_another_communitys_member_is_refused(
    community: Community, other_community: Community, moderator: User
) -> None:
    send(other_community, *posts(1))
    with pytest.raises(ServiceError, match="not in this community"):
        services.create_charge(
            community=community,
            membership=membership(other_community),
            kind="moderator_warning",
            severity="minor",
            reason="x",
            occurred_at=timezone.now(),
            by=moderator,
        )
