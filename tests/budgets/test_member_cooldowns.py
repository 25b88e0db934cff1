"""A member's pause on posting: started by a tier action, lifted early when the budget recovers
above the tier that started it (charges leave the window, forgiveness, an appeal), told to the
member in kind words, and announced through the outbox for the forum."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from budgets import services
from budgets.models import Charge, LiftCause, MemberBudget, MemberCooldown
from budgets.recalculation import recalculate_community
from community.models import Community, DomainEvent, Membership, Notification
from community.models.notifications import NotificationKind

pytestmark = pytest.mark.django_db


def pause_tiers(community: Community, tiers: dict[str, list[str]], hours: int = 24) -> None:
    services.update_policy(
        community=community,
        changes={"tier_actions": tiers, "cooldown_hours": hours},
        by=None,
    )


def charge(
    membership: Membership, severity: str, *, at: datetime | None = None, capture: Any
) -> Charge:
    with capture(execute=True):
        return services.create_charge(
            community=membership.community,
            membership=membership,
            kind="moderator_warning",
            severity=severity,
            reason="Sharp words in the shed rota thread",
            occurred_at=at or timezone.now() - timedelta(hours=1),
            by=None,
        )


def events(type_: str) -> list[dict[str, Any]]:
    return [e.payload for e in DomainEvent.objects.filter(type=type_).order_by("created_at")]


def tier(membership: Membership) -> str:
    return MemberBudget.objects.get(membership=membership).tier


@pytest.fixture
def exhausted_pauses(community: Community) -> None:
    pause_tiers(community, {"exhausted": ["private_nudge", "member_cooldown"]})


def test_an_exhausted_budget_starts_a_timed_pause_announced_with_its_end(
    community: Community,
    member_membership: Membership,
    exhausted_pauses: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    charge(member_membership, "severe", capture=django_capture_on_commit_callbacks)
    assert not MemberCooldown.objects.exists()  # 8 of 10 points: critical, no pause
    charge(member_membership, "moderate", capture=django_capture_on_commit_callbacks)
    pause = MemberCooldown.objects.get()
    assert tier(member_membership) == "exhausted"
    assert pause.ends_at - pause.starts_at == timedelta(hours=24)
    assert pause.lifted_at is None and pause.is_running(timezone.now())
    [started] = events("budget.member_cooldown")
    assert started["member_cooldown_id"] == pause.pk
    assert started["ends_at"] == pause.ends_at.isoformat()
    assert "exhausted" not in started["reason"] and "not a ban" in started["reason"]
    notice = Notification.objects.get(kind=NotificationKind.MEMBER_COOLDOWN)
    assert notice.title == "A short pause on your posting"


def test_forgiving_the_charges_lifts_the_pause_at_once_with_a_kind_notice(
    community: Community,
    member_membership: Membership,
    moderator: User,
    exhausted_pauses: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = charge(member_membership, "severe", capture=django_capture_on_commit_callbacks)
    charge(member_membership, "moderate", capture=django_capture_on_commit_callbacks)
    pause = MemberCooldown.objects.get()
    with django_capture_on_commit_callbacks(execute=False):
        # No task runs: the recovery happens in the forgiving transaction itself.
        services.forgive_charges(
            charges=[first], reason="Talked it through; we are good.", by=moderator
        )
    assert tier(member_membership) == "healthy"
    pause.refresh_from_db()
    assert pause.lifted_at is not None and pause.lift_cause == LiftCause.FORGIVEN
    assert pause.ends_at - pause.starts_at == timedelta(hours=24)  # the planned end stays
    assert pause.lifted_by_transition is not None
    assert pause.lifted_by_transition.to_tier == "healthy"
    [lifted] = events("budget.member_cooldown_lifted")
    assert lifted == {
        "member_cooldown_id": pause.pk,
        "membership_id": member_membership.pk,
        "identities": [],
        "starts_at": pause.starts_at.isoformat(),
        "ends_at": pause.ends_at.isoformat(),
        "lifted_at": pause.lifted_at.isoformat(),
        "cause": "forgiven",
        "reason": "Lifted early because forgiveness gave the budget room again.",
    }
    notice = Notification.objects.get(title="Your pause on posting was lifted early")
    assert notice.recipient == member_membership
    assert "forgiveness gave the budget room again" in notice.body
    assert "You can post again" in notice.body


def test_an_appeal_that_reverses_a_charge_lifts_the_pause_and_says_so(
    community: Community,
    member_membership: Membership,
    moderator: User,
    exhausted_pauses: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = charge(member_membership, "severe", capture=django_capture_on_commit_callbacks)
    charge(member_membership, "moderate", capture=django_capture_on_commit_callbacks)
    appeal = services.file_appeal(
        charge=first, membership=member_membership, statement="That was a quote, not mine."
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_appeal(appeal=appeal, uphold=True, reason="It was a quote.", by=moderator)
    pause = MemberCooldown.objects.get()
    assert pause.lift_cause == LiftCause.REVERSED
    assert events("budget.member_cooldown_lifted")[0]["reason"] == (
        "Lifted early because a charge was reversed on appeal."
    )


def test_charges_leaving_the_window_lift_the_pause_as_a_recovery(
    community: Community,
    member_membership: Membership,
    exhausted_pauses: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Behaviour from 29 days and 20 hours ago: it leaves the 30-day window in 4 hours, well
    # before the 24-hour pause would end by itself.
    old = timezone.now() - timedelta(days=29, hours=20)
    charge(member_membership, "severe", at=old, capture=django_capture_on_commit_callbacks)
    charge(member_membership, "moderate", at=old, capture=django_capture_on_commit_callbacks)
    pause = MemberCooldown.objects.get()
    with time_machine.travel(timezone.now() + timedelta(hours=5), tick=False):
        recalculate_community(community=community, kind="periodic")
        recalculate_community(community=community, kind="periodic")  # nothing more to do
    pause.refresh_from_db()
    assert pause.lift_cause == LiftCause.RECOVERED
    assert pause.lifted_at is not None and pause.lifted_at < pause.ends_at
    assert len(events("budget.member_cooldown_lifted")) == 1
    assert events("budget.member_cooldown_lifted")[0]["reason"] == (
        "Lifted early because the budget recovered."
    )


def test_a_recovery_that_stays_at_the_pausing_tier_keeps_the_pause(
    community: Community,
    member_membership: Membership,
    moderator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    pause_tiers(community, {"critical": ["member_cooldown"]})
    severe = charge(member_membership, "severe", capture=django_capture_on_commit_callbacks)
    assert tier(member_membership) == "critical"  # 2 of 10 left: the pause starts here
    minor = charge(member_membership, "minor", capture=django_capture_on_commit_callbacks)
    moderate = charge(member_membership, "moderate", capture=django_capture_on_commit_callbacks)
    assert tier(member_membership) == "exhausted"
    pause = MemberCooldown.objects.get()
    services.forgive_charges(charges=[moderate], reason="Misread.", by=moderator)
    assert tier(member_membership) == "critical"  # 1 of 10 left: still the pausing tier
    pause.refresh_from_db()
    assert pause.lifted_at is None
    services.forgive_charges(charges=[minor, severe], reason="All settled.", by=moderator)
    assert tier(member_membership) == "healthy"
    pause.refresh_from_db()
    assert pause.lifted_at is not None
    assert len(events("budget.member_cooldown_lifted")) == 1


def test_a_pause_that_ran_to_its_end_is_not_lifted_afterwards(
    community: Community,
    member_membership: Membership,
    moderator: User,
    exhausted_pauses: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = charge(member_membership, "severe", capture=django_capture_on_commit_callbacks)
    charge(member_membership, "moderate", capture=django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        services.forgive_charges(charges=[first], reason="Settled.", by=moderator)
        assert tier(member_membership) == "healthy"
    pause = MemberCooldown.objects.get()
    assert pause.lifted_at is None and pause.ended_at == pause.ends_at
    assert events("budget.member_cooldown_lifted") == []
    assert not Notification.objects.filter(title__contains="lifted early").exists()


def test_the_member_sees_the_pause_its_end_and_why_it_ended_early(
    community: Community,
    member: User,
    member_membership: Membership,
    moderator: User,
    exhausted_pauses: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = charge(member_membership, "severe", capture=django_capture_on_commit_callbacks)
    charge(member_membership, "moderate", capture=django_capture_on_commit_callbacks)
    pause = MemberCooldown.objects.get()
    end = f"{pause.ends_at:%-d %b}"
    web = Client()
    web.force_login(member)
    home = web.get("/c/garden/").content.decode()
    assert 'data-testid="home-pause"' in home and f"paused until {end}" in home
    page = web.get("/c/garden/my-budget/").content.decode()
    assert 'data-testid="pause-now"' in page and "Your posting is paused until" in page
    assert "not a ban" in page
    services.forgive_charges(charges=[first], reason="Talked it through.", by=moderator)
    home = web.get("/c/garden/").content.decode()
    assert 'data-testid="home-pause"' not in home
    page = web.get("/c/garden/my-budget/").content.decode()
    assert 'data-testid="pause-now"' not in page
    assert "lifted early" in page and "because forgiveness gave the budget room again" in page
    moderator_view = Client()
    moderator_view.force_login(moderator)
    other = moderator_view.get(
        f"/c/garden/budgets/members/{member_membership.pk}/"
    ).content.decode()
    assert "lifted early" in other


def test_a_pause_cannot_be_stored_without_an_end_after_its_start(
    community: Community,
    member_membership: Membership,
    exhausted_pauses: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    charge(member_membership, "severe", capture=django_capture_on_commit_callbacks)
    charge(member_membership, "moderate", capture=django_capture_on_commit_callbacks)
    pause = MemberCooldown.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberCooldown.objects.filter(pk=pause.pk).update(ends_at=pause.starts_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberCooldown.objects.filter(pk=pause.pk).update(lifted_at=timezone.now())  # no cause
