"""The python engine's aggregate (DESIGN.md §3.4): one statement per chunk of members that returns
each member's totals and old snapshot, on any database. ``budgets.recalculation`` finishes the
rows with ``budgets.budget_math``; ``operations.budget_check`` re-reads them to audit snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from budgets import budget_math
from budgets.recalculation_sql import aggregate_sql
from community.models import Community
from community.vocabulary import ACTIVITY_KINDS


@dataclass(frozen=True)
class Row:
    """One member's line of the aggregate: the totals and the old snapshot, if any."""

    membership_id: int
    display_name: str
    totals: budget_math.Totals
    old: dict[str, Any] | None


def _dt(value: object) -> datetime | None:
    """A datetime from the database: psycopg gives aware datetimes, SQLite gives text."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _dec(value: object, places: Decimal = budget_math.COST_PLACES) -> Decimal:
    """A Decimal from the database (SQLite hands back ints or floats for sums of decimals;
    costs have two decimal places, so rounding to them recovers the exact sum)."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(places)


def fetch_rows(
    *,
    community: Community,
    policy: budget_math.Policy,
    at: datetime,
    member_ids: Sequence[int] | None = None,
    id_range: tuple[int, int] | None = None,
) -> list[Row]:
    """Run the aggregate for one chunk: an explicit id list or an inclusive id range."""
    if member_ids is not None:
        placeholders = ", ".join(["%s"] * len(member_ids))
        member_filter = "{col} IN (" + placeholders + ")"
        filter_params: list[Any] = list(member_ids)
    else:
        assert id_range is not None
        member_filter = "{col} BETWEEN %s AND %s"
        filter_params = [id_range[0], id_range[1]]
    start, end = budget_math.window_bounds(policy, at)
    adapt = connection.ops.adapt_datetimefield_value
    end_, day_start = adapt(end), adapt(at - budget_math.DAY)
    params: list[Any] = [
        *(end_, end_, end_),
        community.pk,
        *sorted(ACTIVITY_KINDS),
        adapt(start),
        *filter_params,
        *(end_, day_start, end_, end_, day_start, end_, end_),
        community.pk,
        adapt(start),
        *filter_params,
        community.pk,
        *filter_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(aggregate_sql(member_filter=member_filter), params)
        raw = cursor.fetchall()
    rows = []
    for r in raw:
        old = None
        if r[6] is not None:
            old = {
                "tier": r[6],
                "transition_sequence": int(r[7]),
                "activity": int(r[8]),
                "allowance": _dec(r[9], budget_math.POINTS_PLACES),
                "spent": _dec(r[10], budget_math.POINTS_PLACES),
                "remaining_ratio": _dec(r[11], budget_math.RATIO_PLACES),
                "recovers_at": _dt(r[12]),
                "burn_rate_24h": _dec(r[13], budget_math.RATIO_PLACES),
                "policy_version": int(r[14]),
                "next_change_at": _dt(r[19]),
            }
        rows.append(
            Row(
                membership_id=int(r[0]),
                display_name=str(r[1]),
                totals=budget_math.Totals(
                    activity=int(r[2]),
                    spent=_dec(r[3]),
                    spent_24h=_dec(r[4]),
                    oldest_active=_dt(r[5]),
                    oldest_activity=_dt(r[15]),
                    oldest_active_24h=_dt(r[17]),
                    next_entry=min(
                        (t for t in (_dt(r[16]), _dt(r[18])) if t is not None), default=None
                    ),
                ),
                old=old,
            )
        )
    return rows


def unchanged(old: dict[str, Any] | None, new: budget_math.Budget, policy_version: int) -> bool:
    if old is None:
        return False
    return (
        old["tier"] == new.tier
        and old["activity"] == new.activity
        and old["allowance"] == new.allowance
        and old["spent"] == new.spent
        and old["remaining_ratio"] == new.remaining_ratio
        and old["recovers_at"] == new.recovers_at
        and old["burn_rate_24h"] == new.burn_rate_24h
        and old["policy_version"] == policy_version
        and old["next_change_at"] == new.next_change_at
    )
