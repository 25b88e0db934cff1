"""Imported history never pages anyone now, member budgets too (DESIGN.md §3.7, docs/replay.md):
flags imported through the batch API with an old ``recorded_at`` count in the member's budget,
but a tier reached through them alone is recorded quietly (no notice, e-mail, pause or "tier
changed" webhook), by each engine of the recalculation the database has; the same flags sent as
news page as before; a live charge that alone would worsen the tier is announced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from rest_framework.test import APIClient

from budgets import services, tasks
from budgets.models import Charge, MemberBudget, MemberCooldown, Notice, TierTransition
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import available_engines, recalculate_community
from community.models import Community, DomainEvent, ExternalIdentity, Membership, Notification
from community.models.notifications import NotificationKind
from tests.test_access import client_for

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FLAGGED = NOW - timedelta(days=2)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _member_42(member_membership: Membership) -> None:
    """Member 42 of the batch API is ``member`` (who has a login and an e-mail address)."""
    ExternalIdentity.objects.create(
        community=member_membership.community,
        membership=member_membership,
        source="api",
        external_id="42",
    )


@pytest.fixture
def by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    """The recalculation that an ingest enqueues does not run, so the test runs it with the
    engine it names."""
    monkeypatch.setattr(tasks.recalculate_budgets, "apply_async", lambda *a, **k: None)


@pytest.fixture(autouse=True)
def _pausing_policy(community: Community) -> None:
    """Every tier below healthy nudges the member and pauses their posting (so a pause, a
    notice, an e-mail and the outbox event are all there to be left out)."""
    actions = ["private_nudge", "notify_moderators", "member_cooldown"]
    services.update_policy(
        community=community,
        changes={"tier_actions": {"warning": actions, "critical": actions, "exhausted": actions}},
        by=None,
    )


def _flags(n: int, *, imported: bool, first: int = 0) -> list[dict[str, Any]]:
    """``n`` upheld flags (3 points each, of the floor of 10) on member 42's posts of two days
    ago; ``imported`` gives each the time it was upheld then, as an import of the past does."""
    items = []
    for k in range(first, first + n):
        item: dict[str, Any] = {
            "external_id": f"flag-{k}",
            "kind": "flag_upheld",
            "category": "inappropriate",
            "occurred_at": (FLAGGED + timedelta(minutes=k)).isoformat(),
            "member": {"external_id": "42", "username": "river"},
            "subject": f"post:{k}",
        }
        if imported:
            item["recorded_at"] = (FLAGGED + timedelta(minutes=k, hours=1)).isoformat()
        items.append(item)
    return items


def _send(api: APIClient, items: list[dict[str, Any]], *, at: datetime = NOW) -> None:
    with time_machine.travel(at, tick=False):
        response = api.post("/api/v1/events/", {"events": items}, format="json")
        assert response.status_code == 200, response.content


def _recalculate(community: Community, engine: str | None, *, at: datetime = NOW) -> None:
    with time_machine.travel(at, tick=False):
        recalculate_community(community=community, kind=RecalcKind.FULL, engine=engine)


def _member(community: Community) -> Membership:
    return Membership.objects.get(community=community, identities__external_id="42")


def _announced(member: Membership) -> dict[str, int]:
    return {
        "notices": Notice.objects.filter(membership=member).count(),
        "notifications": Notification.objects.filter(kind=NotificationKind.TIER_CHANGED).count(),
        "pauses": MemberCooldown.objects.filter(membership=member).count(),
        "tier_events": DomainEvent.objects.filter(type="budget.tier_changed").count(),
        "pause_events": DomainEvent.objects.filter(type="budget.member_cooldown").count(),
        "emails": len(mail.outbox),
    }


NOTHING = {
    "notices": 0,
    "notifications": 0,
    "pauses": 0,
    "tier_events": 0,
    "pause_events": 0,
    "emails": 0,
}


@pytest.mark.usefixtures("by_hand")
@pytest.mark.parametrize("engine", available_engines())
def test_imported_flags_that_reach_warning_are_recorded_quietly(
    community: Community, api: APIClient, engine: str
) -> None:
    mail.outbox.clear()
    _send(api, _flags(2, imported=True))
    _recalculate(community, engine)
    member = _member(community)
    budget = MemberBudget.objects.get(membership=member)
    assert (budget.tier, budget.spent) == ("warning", 6)  # the budget is true: it happened
    transition = TierTransition.objects.get(membership=member)
    assert (transition.from_tier, transition.to_tier) == ("healthy", "warning")
    assert transition.from_imported_history
    assert transition.live_tier == "healthy"
    assert transition.actions == []
    assert _announced(member) == NOTHING


@pytest.mark.usefixtures("by_hand")
@pytest.mark.parametrize("engine", available_engines())
def test_the_same_flags_sent_as_news_are_announced_as_before(
    community: Community, api: APIClient, engine: str
) -> None:
    mail.outbox.clear()
    _send(api, _flags(2, imported=False))
    _recalculate(community, engine)
    member = _member(community)
    transition = TierTransition.objects.get(membership=member)
    assert not transition.from_imported_history
    assert transition.live_tier == ""
    assert transition.actions == ["private_nudge", "notify_moderators", "member_cooldown"]
    announced = _announced(member)
    assert announced["notices"] == 2  # the member's nudge and the moderators' note
    assert announced["pauses"] == announced["tier_events"] == announced["pause_events"] == 1
    assert announced["notifications"] >= 1
    assert announced["emails"] >= 1  # the nudge's e-mail copy


@pytest.mark.usefixtures("by_hand")
@pytest.mark.parametrize("engine", available_engines())
def test_a_live_charge_that_alone_would_worsen_the_tier_is_announced(
    community: Community, api: APIClient, engine: str
) -> None:
    # One imported flag (3 of 10) and two live ones (6 of 10): critical; the live ones alone
    # would have made it a warning, so the move is news.
    _send(api, _flags(1, imported=True) + _flags(2, imported=False, first=10))
    _recalculate(community, engine)
    transition = TierTransition.objects.get(membership=_member(community))
    assert (transition.to_tier, transition.live_tier) == ("critical", "warning")
    assert not transition.from_imported_history
    assert _announced(_member(community))["tier_events"] == 1


@pytest.mark.parametrize("engine", available_engines())
def test_after_a_quiet_move_a_live_worsening_is_announced_and_one_more_import_is_not(
    community: Community, api: APIClient, engine: str
) -> None:
    _send(api, _flags(2, imported=True))
    _recalculate(community, engine)
    # Two live flags: 12 of 10 spent (exhausted); the live ones alone (6) make a warning, worse
    # than the healthy the member had by live charges: announced.
    later = NOW + timedelta(hours=1)
    _send(api, _flags(2, imported=False, first=10), at=later)
    _recalculate(community, engine, at=later)
    member = _member(community)
    second = TierTransition.objects.get(membership=member, sequence=2)
    assert (second.from_tier, second.to_tier, second.live_tier) == (
        "warning",
        "exhausted",
        "warning",
    )
    assert not second.from_imported_history
    assert DomainEvent.objects.filter(type="budget.tier_changed").count() == 1


@pytest.mark.parametrize("engine", available_engines())
def test_recovering_from_a_quiet_tier_sends_no_good_news(
    community: Community, api: APIClient, engine: str, moderator: Any
) -> None:
    _send(api, _flags(2, imported=True))
    _recalculate(community, engine)
    member = _member(community)
    charge = Charge.objects.filter(membership=member).order_by("pk").first()
    assert charge is not None
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        services.forgive_charges(charges=[charge], by=moderator, reason="A misunderstanding")
    back = TierTransition.objects.get(membership=member, sequence=2)
    assert (back.from_tier, back.to_tier) == ("warning", "healthy")
    assert back.from_imported_history
    assert not Notification.objects.filter(kind=NotificationKind.TIER_CHANGED).exists()
    assert not DomainEvent.objects.filter(type="budget.tier_changed").exists()


def test_the_budget_pages_say_the_tier_came_from_imported_history(
    community: Community, api: APIClient, moderator: Any, member: Any
) -> None:
    _send(api, _flags(2, imported=True))
    _recalculate(community, None)
    pk = _member(community).pk
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        page = client_for(moderator).get(f"/c/garden/budgets/members/{pk}/").content.decode()
        own = client_for(member).get("/c/garden/my-budget/").content.decode()
    # Beside the tier, and in the moderators' list of tier changes instead of the actions.
    assert page.count("Reached through imported history: no notice was sent") == 2
    assert "a private, calm note to the member" not in page
    assert "past events imported from the forum's history" in own
    assert "no note was sent and nothing was started" in own
