"""Live status of clause SLOs: evaluate, snapshot, and the incident cost of bad events.

Counting is in ``counting``, alerts in ``alerts``, when evaluations run in ``scheduling``.

Public services:

* ``evaluate_community(community=...)``: refresh every live clause (used by the periodic sweep
  and by the coalesced evaluation after ingest). While a contract version is on trial in some
  spaces (``hooks.trial_rules``), those spaces count and alert under the trial's definition of
  each clause (``docs/releases.md``, "Trial spaces live under the trial's rules").
* ``backfill_history(clause=..., points=...)``: a newly published clause's chart at once.
* ``clause_budget_consumed(clause=..., start=..., end=..., space_ids=...)``: the share of a
  clause's budget that the bad events of some spaces in [start, end) consumed (incident cost).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from community.contract.alerts import update_alerts
from community.contract.counting import (
    ScopeCounts,
    ScopeResult,
    count_clause,
    empty_counts,
    judge,
    scope_of,
    selectors,
)
from community.contract.hooks import TrialRules, trial_rules
from community.contract.slo import (
    SIX_PLACES,
    ClauseDefinition,
    Counts,
    allowed_bad,
    clause_status,
)
from community.contract.text import exact
from community.models import Clause, ClauseAlert, ClauseSnapshot, Community, ConductEvent
from community.tiers import ONE, ZERO

# --- Evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClauseResult:
    clause: Clause
    community: ScopeResult
    spaces: list[ScopeResult]
    fired: list[ClauseAlert]
    cleared: list[ClauseAlert]


_LOOK_UP = TrialRules(0, frozenset())


def _same_windows(a: ClauseDefinition, b: ClauseDefinition) -> bool:
    return a.window_days == b.window_days and a.burn_windows == b.burn_windows


def _count_scopes(
    clause: Clause, definition: ClauseDefinition, now: datetime, trial: TrialRules | None
) -> tuple[dict[int | None, ScopeCounts], list[ScopeResult]]:
    """The counts the community-wide line sums, and each space's judged result. Outside a
    trial every space counts with ``definition``. Inside, a trial space counts and is judged
    with the trial's definition of the clause; the community-wide line adds those counts when
    the trial keeps the clause's window and alert windows (else it counts the trial spaces as
    the version in force does); a clause the trial drops leaves the trial spaces out."""
    live = count_clause(community_id=clause.community_id, definition=definition, now=now)
    inside = trial.space_ids if trial is not None else frozenset()
    parts = {k: v for k, v in live.items() if k not in inside}
    results = []
    if definition.per_space:
        results = [judge(definition, k, v) for k, v in parts.items() if k is not None]
    trial_definition = trial.definitions.get(clause.pk) if trial is not None else None
    if trial_definition is not None:
        counted = count_clause(
            community_id=clause.community_id, definition=trial_definition, now=now
        )
        tried: dict[int | None, ScopeCounts] = {k: v for k, v in counted.items() if k in inside}
        if trial_definition.per_space:
            results += [judge(trial_definition, k, v) for k, v in tried.items()]
        if _same_windows(definition, trial_definition):
            parts.update(tried)
        else:
            parts.update({k: v for k, v in live.items() if k in inside})
    return parts, sorted(results, key=lambda r: r.space_id or 0)


def evaluate_clause(
    *,
    clause: Clause,
    now: datetime | None = None,
    alerts: bool = True,
    trial: TrialRules | None = _LOOK_UP,
) -> ClauseResult | None:
    """Refresh one live clause: snapshot its status (community-wide and per space) and, with
    ``alerts``, fire and clear its alerts. Returns None for a clause that is not live.
    ``trial`` is the contract version on trial (looked up when not given)."""
    definition = clause.published_definition()
    if definition is None:
        return None
    now = now or timezone.now()
    if trial is _LOOK_UP:
        trial = trial_rules(clause.community_id)
    parts, space_results = _count_scopes(clause, definition, now, trial)
    trial_definition = trial.definitions.get(clause.pk) if trial is not None else None
    by_space: dict[int | None, ClauseDefinition] = (
        dict.fromkeys(trial.space_ids, trial_definition)
        if trial is not None and trial_definition is not None
        else {}
    )
    overall = sum(parts.values(), empty_counts(definition))
    community_result = judge(definition, None, overall)
    _store_snapshots(clause, [community_result, *space_results], now)
    fired: list[ClauseAlert] = []
    cleared: list[ClauseAlert] = []
    if alerts:
        fired, cleared = update_alerts(
            clause=clause,
            definition=definition,
            results=[community_result, *space_results],
            now=now,
            by_space=by_space,
        )
    return ClauseResult(clause, community_result, space_results, fired, cleared)


def evaluate_community(*, community: Community, now: datetime | None = None) -> list[ClauseResult]:
    """Refresh every live clause of a community. Two evaluations of one community run one
    after the other: each locks the live clause rows, which ingest never touches, so events
    keep arriving while we count."""
    now = now or timezone.now()
    results = []
    with transaction.atomic():
        clauses = list(
            Clause.objects.live()
            .filter(community=community)
            .select_for_update(of=("self",))
            .select_related("community")
            .order_by("pk")
        )
        trial = trial_rules(community.pk) if clauses else None
        for clause in clauses:
            result = evaluate_clause(clause=clause, now=now, trial=trial)
            if result is not None:
                results.append(result)
    return results


# --- Snapshots ------------------------------------------------------------------------------


def _snapshot(clause: Clause, result: ScopeResult, now: datetime) -> ClauseSnapshot:
    status = result.status
    return ClauseSnapshot(
        clause=clause,
        space_id=result.space_id,
        scope=scope_of(result.space_id),
        bucket=now.replace(minute=0, second=0, microsecond=0),
        computed_at=now,
        total=status.total,
        bad=status.bad,
        sli=None if status.sli is None else status.sli.quantize(SIX_PLACES),
        allowed_bad=status.allowed_bad.quantize(Decimal("0.0001")),
        budget_remaining=status.budget_remaining.quantize(SIX_PLACES),
        tier=status.tier.value,
        burn_rates={k: exact(v) for k, v in status.burn_rates.items()},
    )


def _upsert_snapshots(rows: list[ClauseSnapshot]) -> None:
    ClauseSnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["clause", "scope", "bucket"],
        update_fields=[
            "computed_at",
            "total",
            "bad",
            "sli",
            "allowed_bad",
            "budget_remaining",
            "tier",
            "burn_rates",
        ],
    )


def _store_snapshots(clause: Clause, results: Sequence[ScopeResult], now: datetime) -> None:
    _upsert_snapshots([_snapshot(clause, result, now) for result in results])


def backfill_history(*, clause: Clause, points: Sequence[datetime]) -> int:
    """Community-wide snapshots of a live clause at past times, all from one aggregate query
    (one pair of conditional counts per point), so a newly published clause has a chart at
    once. Alert windows are not replayed: history rows carry no burn rates. Returns the
    number of snapshots written."""
    definition = clause.published_definition()
    if definition is None or not points:
        return 0
    points = sorted(points)
    window = timedelta(days=definition.window_days)
    total_q, bad_q = selectors(clause.community_id, definition, points[-1])
    rows = ConductEvent.objects.filter(
        community_id=clause.community_id,
        occurred_at__gt=points[0] - window,
        occurred_at__lte=points[-1],
    )
    if definition.spaces:
        rows = rows.filter(space_id__in=definition.spaces)
    aggregates: dict[str, Any] = {}
    for i, at in enumerate(points):
        span = Q(occurred_at__gt=at - window, occurred_at__lte=at)
        aggregates[f"t{i}"] = Count("pk", filter=total_q & span)
        aggregates[f"b{i}"] = Count("pk", filter=bad_q & span)
    counts = rows.aggregate(**aggregates)
    snapshots = []
    for i, at in enumerate(points):
        status = clause_status(
            target=definition.target,
            window=Counts(counts[f"t{i}"], counts[f"b{i}"]),
            burn_windows={},
        )
        snapshots.append(_snapshot(clause, ScopeResult(None, status, []), at))
    _upsert_snapshots(snapshots)
    return len(snapshots)


# --- Incident cost (DESIGN.md §3.5) ----------------------------------------------------------


def clause_budget_consumed(
    *, clause: Clause, start: datetime, end: datetime, space_ids: Iterable[int]
) -> Decimal:
    """The share of a clause's error budget consumed by bad events in some spaces.

    ``bad`` = events of the clause's bad selector in ``space_ids`` whose behaviour occurred in
    ``[start, end)``; ``allowed_bad`` = the clause's allowance over its own window ending at
    ``end`` (its own total selector, community-wide or its own spaces). Returns ``bad /
    allowed_bad`` as an exact Decimal (0.25 = a quarter of the budget). With no traffic in the
    window (allowed_bad 0) any bad event counts as the whole budget (1), none as 0. Uses the
    published definition, or the draft for a clause never published.
    """
    definition = clause.published_definition() or clause.draft_definition()
    total_q, bad_q = selectors(clause.community_id, definition, end)
    bad = ConductEvent.objects.filter(
        bad_q,
        community_id=clause.community_id,
        space_id__in=list(space_ids),
        occurred_at__gte=start,
        occurred_at__lt=end,
    ).count()
    totals = ConductEvent.objects.filter(
        total_q,
        community_id=clause.community_id,
        occurred_at__gt=end - timedelta(days=definition.window_days),
        occurred_at__lte=end,
    )
    if definition.spaces:
        totals = totals.filter(space_id__in=definition.spaces)
    allowed = allowed_bad(definition.target, totals.count())
    if allowed <= ZERO:
        return ZERO if bad == 0 else ONE
    return Decimal(bad) / allowed
