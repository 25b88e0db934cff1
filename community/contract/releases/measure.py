"""The gate's measurements of a running trial: each clause on trial in the trial spaces
against the comparison (the rest of the community, or the spaces' own past), counted with the
live path's selectors, and the appeals. The verdict itself is pure (``gate.judge_gate``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from community.contract.counting import selectors
from community.contract.hooks import appeal_counts
from community.contract.releases.gate import (
    RECENT_MINUTES,
    Appeals,
    ClauseSides,
    Side,
    Thresholds,
    Verdict,
    judge_gate,
)
from community.contract.releases.models import Baseline, Canary
from community.contract.slo import ClauseDefinition
from community.models import ConductEvent

OWN_PAST_DAYS = 14


def clause_definition(data: dict[str, object]) -> ClauseDefinition:
    return ClauseDefinition.from_dict(
        {k: v for k, v in data.items() if k not in ("clause_id", "slug")}
    )


def thresholds_of(canary: Canary) -> Thresholds:
    return Thresholds(
        sli_drop_points=canary.sli_drop_points,
        burn_rate=canary.burn_rate,
        overturned_percent=canary.overturned_percent,
        min_events=canary.min_events,
    )


# --- Counting the two sides ------------------------------------------------------------------


def _side(
    community_id: int,
    definition: ClauseDefinition,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    space_ids: list[int],
    inside: bool,
) -> Side:
    total_q, bad_q = selectors(community_id, definition, now)
    rows = ConductEvent.objects.filter(community_id=community_id)
    if definition.spaces:
        rows = rows.filter(space_id__in=definition.spaces)
    where = Q(space_id__in=space_ids)
    rows = rows.filter(where) if inside else rows.exclude(where)
    span = Q(occurred_at__gt=start, occurred_at__lte=end)
    recent = Q(recorded_at__gt=now - timedelta(minutes=RECENT_MINUTES), recorded_at__lte=now)
    counts = rows.aggregate(
        t=Count("pk", filter=total_q & span),
        b=Count("pk", filter=bad_q & span),
        rt=Count("pk", filter=total_q & recent),
        rb=Count("pk", filter=bad_q & recent),
    )
    return Side(counts["t"], counts["b"], counts["rt"], counts["rb"])


def measure_canary(*, canary: Canary, now: datetime | None = None) -> Verdict:
    """The gate's verdict now: each clause on trial, the trial spaces with the trial version
    against the comparison with the version in force (or the trial version for a new clause)."""
    now = now or timezone.now()
    space_ids = list(canary.spaces.values_list("pk", flat=True))
    live = {
        int(c["clause_id"]): c for c in (canary.base_version.clauses if canary.base_version else [])
    }
    own_past = canary.baseline == Baseline.OWN_PAST
    past_start = canary.started_at - timedelta(days=OWN_PAST_DAYS)
    sides = []
    for data in canary.clauses:
        trial = clause_definition(data)
        clause_id = int(str(data["clause_id"]))
        before = clause_definition(live[clause_id]) if clause_id in live else trial
        canary_side = _side(
            canary.community_id,
            trial,
            start=canary.started_at,
            end=now,
            now=now,
            space_ids=space_ids,
            inside=True,
        )
        if own_past:
            baseline = _side(
                canary.community_id,
                before,
                start=past_start,
                end=canary.started_at,
                now=now,
                space_ids=space_ids,
                inside=True,
            )
        else:
            baseline = _side(
                canary.community_id,
                before,
                start=canary.started_at,
                end=now,
                now=now,
                space_ids=space_ids,
                inside=False,
            )
        sides.append(ClauseSides(trial.title, trial, canary_side, baseline))
    charges, overturned = appeal_counts(
        canary.community_id, space_ids, canary.started_at, now, True
    )
    if own_past:
        b_charges, b_over = appeal_counts(
            canary.community_id, space_ids, past_start, canary.started_at, True
        )
    else:
        b_charges, b_over = appeal_counts(
            canary.community_id, space_ids, canary.started_at, now, False
        )
    return judge_gate(
        clauses=sides,
        canary_appeals=Appeals(charges, overturned),
        baseline_appeals=Appeals(b_charges, b_over),
        thresholds=thresholds_of(canary),
    )
