"""The fairness board's one aggregate query on both databases: PostgreSQL runs SQL of its own,
any other database (SQLite under ``make run``) one ORM query. Both must count the same rows,
trust levels included (a plain 0-4, as a JSON number or a string; anything else ignored)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from boards.fairness import count_cohorts, count_cohorts_neutral
from budgets.models import Appeal, AppealStatus, Charge, Forgiveness, ForgivenessKind, MemberBudget
from community.models import Community, ConductEvent, Membership, Space
from community.tiers import Tier

pytestmark = pytest.mark.django_db

_ids = itertools.count()


def _event(
    community: Community,
    member: Membership | None,
    at: datetime,
    *,
    kind: str = "post",
    space: Space | None = None,
    payload: dict[str, Any] | None = None,
) -> ConductEvent:
    return ConductEvent.objects.create(
        community=community,
        kind=kind,
        member=member,
        space=space,
        occurred_at=at,
        external_id=f"q-{next(_ids)}",
        payload=payload or {},
    )


def _charge(member: Membership, at: datetime, *, event: ConductEvent | None = None) -> Charge:
    return Charge.objects.create(
        community=member.community,
        membership=member,
        event=event,
        kind="flag_upheld",
        severity="moderate",
        cost=Decimal(3),
        reason="An upheld flag",
        occurred_at=at,
    )


def _budget(member: Membership, tier: Tier) -> None:
    MemberBudget.objects.create(
        membership=member,
        community=member.community,
        activity=1,
        allowance=Decimal(10),
        spent=Decimal(1),
        remaining=Decimal(9),
        remaining_ratio=Decimal("0.9"),
        tier=tier.value,
        burn_rate_24h=Decimal(0),
        policy_version=1,
        computed_at=timezone.now(),
    )


# Every spelling a forum might send; only the first four are trust levels.
TRUST_PAYLOADS: list[Any] = [2, "2", 0, "4", "2a", 7, 2.5, True, None, "", " 3", "3\n", [1]]


def _seed(community: Community, space: Space, now: datetime) -> None:
    """Members of every cohort, each a different trust payload, space and ledger."""
    other_space = Space.objects.create(community=community, name="Elsewhere")
    for n in range(3 * len(TRUST_PAYLOADS)):
        member = Membership.objects.create(community=community, display_name=f"Q {n}")
        first_days = (3, 90, 500)[n % 3]
        _event(community, member, now - timedelta(days=first_days))
        payload = {"trust_level": TRUST_PAYLOADS[n % len(TRUST_PAYLOADS)]}
        where = (space, other_space, None)[n % 3]
        post = _event(community, member, now - timedelta(days=1), space=where, payload=payload)
        _event(community, member, now - timedelta(days=2), kind="flag_upheld", space=where)
        on_post = _charge(member, now - timedelta(days=1), event=post)
        loose = _charge(member, now - timedelta(days=3))
        _charge(member, now - timedelta(days=60))  # outside the window
        if n % 4 == 0:
            Forgiveness.objects.create(
                community=community, charge=on_post, kind=ForgivenessKind.GRACE, reason="Grace"
            )
        status = (AppealStatus.PENDING, AppealStatus.UPHELD, AppealStatus.DECLINED)[n // 3 % 3]
        Appeal.objects.create(
            community=community,
            charge=loose if n % 2 else on_post,
            membership=member,
            statement="Please look again",
            status=status,
            decided_at=None if status == AppealStatus.PENDING else now,
        )
        if n % 5:
            _budget(member, list(Tier)[n % len(Tier)])
    _event(community, None, now - timedelta(days=1))  # a forum event with no member
    quiet = Membership.objects.create(community=community, display_name="Quiet")
    _event(community, quiet, now - timedelta(days=45))  # active before the window only
    _charge(quiet, now - timedelta(days=2))


def _sorted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(
        (row[0], -1 if row[1] is None else int(row[1]), *map(int, row[2:])) for row in rows
    )


@pytest.mark.postgres
@pytest.mark.parametrize("window_days", [7, 30])
@pytest.mark.parametrize("in_space", [False, True])
def test_the_sql_and_the_orm_query_count_the_same_rows(
    community: Community, window_days: int, in_space: bool
) -> None:
    now = timezone.now()
    space = Space.objects.create(community=community, name="Garden")
    _seed(community, space, now)
    query: dict[str, Any] = {
        "community": community,
        "at": now,
        "window_days": window_days,
        "space": space if in_space else None,
    }
    sql = _sorted(count_cohorts(**query))
    assert sql == _sorted(count_cohorts_neutral(**query))
    assert sum(row[2] for row in sql) > 0 and sum(row[6] for row in sql) > 0


def test_only_a_plain_0_to_4_is_read_as_a_trust_level(community: Community) -> None:
    now = timezone.now()
    for payload in TRUST_PAYLOADS:
        member = Membership.objects.create(community=community, display_name="T")
        _event(community, member, now - timedelta(days=1), payload={"trust_level": payload})
    rows = count_cohorts(community=community, at=now, window_days=7)
    members_per_level = {row[1]: row[2] for row in rows}
    assert members_per_level == {0: 1, 2: 2, 4: 1, None: len(TRUST_PAYLOADS) - 4}
