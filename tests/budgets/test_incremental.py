"""Incremental recalculation (DESIGN.md §3.8): the periodic run reads only the members due, and
over any history, at any times, it leaves exactly what a full recalculation and the pure
function would, with each tier transition recorded once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgets import budget_math, scheduling
from budgets.budget_math import ChargeFact, compute_budget
from budgets.models import (
    Charge,
    DirtyMember,
    Forgiveness,
    ForgivenessPolicy,
    MemberBudget,
    TierTransition,
)
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import available_engines, recalculate_community
from community.models import Community, ConductEvent, Membership
from tests.budgets.helpers import event, membership, posts, send

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 12, tzinfo=UTC)
FIELDS = (
    "activity",
    "allowance",
    "spent",
    "remaining",
    "remaining_ratio",
    "tier",
    "recovers_at",
    "burn_rate_24h",
    "next_change_at",
    "policy_version",
)
_slugs = iter(range(10**9))

# One step of history: the clock moves on, things happen, the periodic run runs.
# An item: (member index, "post" | "charge" | "forgive", hours before now it happened, cost).
# A negative "hours before" is behaviour dated a little ahead (it enters the window later).
items = st.tuples(
    st.integers(0, 2),
    st.sampled_from(["post", "post", "charge", "forgive"]),
    st.one_of(st.integers(-6, 45 * 24), st.just(0), st.just(24)),
    st.decimals("0.5", "6", places=2),
)
steps = st.lists(
    st.tuples(
        st.one_of(st.integers(1, 20 * 24), st.just(24), st.integers(1, 6)),
        st.lists(items, max_size=5),
    ),
    min_size=1,
    max_size=7,
)


class _Rollback(Exception):
    pass


def _snapshots(community: Community) -> dict[int, tuple[Any, ...]]:
    return {
        row["membership_id"]: tuple(row[f] for f in FIELDS)
        for row in MemberBudget.objects.filter(community=community).values("membership_id", *FIELDS)
    }


def _full_would_write(community: Community, at: datetime) -> dict[int, tuple[Any, ...]]:
    """What a full recalculation writes at ``at``, rolled back so the incremental state
    carries on untouched."""
    result: dict[int, tuple[Any, ...]] = {}
    try:
        with transaction.atomic():
            recalculate_community(community=community, kind=RecalcKind.FULL, at=at)
            result = _snapshots(community)
            raise _Rollback
    except _Rollback:
        pass
    return result


@contextmanager
def _clock(at: datetime) -> Iterator[None]:
    with time_machine.travel(at, tick=False):
        yield


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    window=st.integers(1, 30),
    target=st.one_of(st.none(), st.decimals("0.50", "0.99", places=2)),
    floor=st.decimals("1", "12", places=2),
    history=steps,
)
def test_incremental_runs_equal_a_full_recalculation_and_the_pure_function(
    window: int, target: Decimal | None, floor: Decimal, history: list[Any], db: None
) -> None:
    math = budget_math.Policy(window_days=window, member_target=target, floor_points=floor)
    for engine in available_engines():
        community = Community.objects.create(slug=f"inc{next(_slugs)}", name="Incremental")
        ForgivenessPolicy.objects.create(
            community=community, window_days=window, member_target=target, floor_points=floor
        )
        people = [
            Membership.objects.create(community=community, display_name=f"m{i}") for i in range(3)
        ]
        activity: dict[int, list[datetime]] = {p.pk: [] for p in people}
        facts: dict[int, list[ChargeFact]] = {p.pk: [] for p in people}
        charges: dict[int, list[Charge]] = {p.pk: [] for p in people}
        tiers = {p.pk: "healthy" for p in people}
        changes = {p.pk: 0 for p in people}
        now = START
        for advance, happenings in history:
            now += timedelta(hours=advance)
            with _clock(now):
                for index, what, hours, cost in happenings:
                    person = people[index]
                    at = now - timedelta(hours=hours)
                    _happen(community, person, what, at, cost, activity, facts, charges)
                recalculate_community(community=community, kind=RecalcKind.PERIODIC, engine=engine)
            incremental = _snapshots(community)
            assert incremental == _full_would_write(community, now)
            for person in people:
                pure = compute_budget(
                    math, now, activity_times=activity[person.pk], charges=facts[person.pk]
                ).rounded()
                got = incremental[person.pk]
                assert got[: len(FIELDS) - 1] == tuple(getattr(pure, f) for f in FIELDS[:-1])
                if pure.tier != tiers[person.pk]:
                    tiers[person.pk] = pure.tier
                    changes[person.pk] += 1
            assert not DirtyMember.objects.filter(community=community).exists()
        for person in people:
            recorded = TierTransition.objects.filter(membership=person).count()
            assert recorded == changes[person.pk]


def _happen(
    community: Community,
    person: Membership,
    what: str,
    at: datetime,
    cost: Decimal,
    activity: dict[int, list[datetime]],
    facts: dict[int, list[ChargeFact]],
    charges: dict[int, list[Charge]],
) -> None:
    """One thing happens, stored as the services store it, and the member is marked."""
    if what == "post":
        ConductEvent.objects.create(
            community=community,
            kind="post",
            member=person,
            occurred_at=at,
            external_id=f"{person.pk}-{len(activity[person.pk])}-{at.timestamp()}",
        )
        activity[person.pk].append(at)
    elif what == "charge":
        charge = Charge.objects.create(
            community=community,
            membership=person,
            kind="flag_upheld",
            severity="moderate",
            cost=cost,
            reason="r",
            occurred_at=at,
        )
        charges[person.pk].append(charge)
        facts[person.pk].append(ChargeFact(cost=cost, occurred_at=at))
    else:
        open_charges = [
            (n, c)
            for n, c in enumerate(charges[person.pk])
            if facts[person.pk][n].released_at is None
        ]
        if not open_charges:
            return
        n, charge = open_charges[0]
        now = timezone.now()
        Forgiveness.objects.create(
            community=community, charge=charge, kind="grace", reason="r", at=now
        )
        old = facts[person.pk][n]
        facts[person.pk][n] = ChargeFact(
            cost=old.cost, occurred_at=old.occurred_at, released_at=now
        )
    scheduling.mark_dirty(community=community, membership_ids=[person.pk])


def test_the_periodic_run_reads_only_the_members_due(community: Community) -> None:
    old = timezone.now() - timedelta(days=29, hours=23)
    send(community, event("moderator_warning", member="1", at=old, severity="severe"))
    for n in range(2, 12):
        send(community, *posts(2, member=str(n)))
    recalculate_community(community=community, kind=RecalcKind.FULL)
    DirtyMember.objects.all().delete()
    first = MemberBudget.objects.get(membership=membership(community, "1"))
    assert first.next_change_at == old + timedelta(days=30)
    later = timezone.now() + timedelta(hours=2)
    result = recalculate_community(community=community, kind=RecalcKind.PERIODIC, at=later)
    assert (result.members, result.written, result.transitions) == (1, 1, 1)
    recovered = MemberBudget.objects.get(membership=membership(community, "1"))
    assert (recovered.tier, recovered.next_change_at) == ("healthy", None)
    again = recalculate_community(community=community, kind=RecalcKind.PERIODIC, at=later)
    assert (again.members, again.written, again.transitions) == (0, 0, 0)


def test_a_member_without_a_snapshot_is_due(community: Community) -> None:
    Membership.objects.create(community=community, display_name="Newcomer")
    result = recalculate_community(community=community, kind=RecalcKind.PERIODIC)
    assert (result.members, result.written) == (1, 1)
    assert MemberBudget.objects.get().next_change_at is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_periodic_runs_at_once_record_each_transition_once(community: Community) -> None:
    old = timezone.now() - timedelta(days=29, hours=23)
    for n in range(60):
        send(community, event("moderator_warning", member=str(n), at=old, severity="severe"))
    recalculate_community(community=community, kind=RecalcKind.FULL)
    later = timezone.now() + timedelta(hours=2)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            recalculate_community(
                community=community, kind=RecalcKind.PERIODIC, at=later, chunk_size=20
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert TierTransition.objects.filter(to_tier="healthy").count() == 60
    assert TierTransition.objects.count() == 120
    assert set(MemberBudget.objects.values_list("tier", flat=True)) == {"healthy"}
