"""After an import: does the restored ledger give every restored budget?

Each member's budget is recalculated from the restored charges, forgiveness and activity *as of
the moment it was computed* (``computed_at``: a budget row is exact at that moment) with the
recalculation's own aggregate and math, and compared with the restored row. Nothing is written.
Members whose budget was owed a recalculation in the source (marked dirty, or computed under an
older policy version) are left out: their rows were stale there too, and the next recalculation
rewrites them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from budgets import budget_math
from budgets.models import DirtyMember, ForgivenessPolicy, MemberBudget
from budgets.recalculation_rows import fetch_rows
from community.models import Community

CHUNK = 2_000
COMPARED = (
    "activity",
    "allowance",
    "spent",
    "remaining",
    "remaining_ratio",
    "tier",
    "recovers_at",
    "burn_rate_24h",
)


@dataclass
class BudgetCheck:
    checked: int = 0
    owed: int = 0
    # (display name, field, restored value, recalculated value)
    differences: list[tuple[str, str, str, str]] = field(default_factory=list)

    def describe_failure(self) -> str:
        shown = "; ".join(
            f"{name}: {name_of} restored {old}, recalculated {new}"
            for name, name_of, old, new in self.differences[:5]
        )
        members = len({d[0] for d in self.differences})
        return (
            f"The restored ledger does not give the restored budgets of {members} member(s) "
            f"({shown}). The file is damaged, or the source's budgets were out of date; "
            "--accept-budget-differences imports it anyway (the next recalculation rewrites them)."
        )


def check_budgets(*, community: Community) -> BudgetCheck:
    result = BudgetCheck()
    budgets = {
        b.membership_id: b
        for b in MemberBudget.objects.filter(community=community).select_related("membership")
    }
    if not budgets:
        return result
    policy = ForgivenessPolicy.objects.for_community(community)
    math = policy.math()
    dirty = set(DirtyMember.objects.filter(community=community).values_list("pk", flat=True))
    by_time: dict[datetime, list[int]] = defaultdict(list)
    for member_id, budget in sorted(budgets.items()):
        if member_id in dirty or budget.policy_version != policy.version:
            result.owed += 1
        else:
            by_time[budget.computed_at].append(member_id)
    for at, member_ids in sorted(by_time.items()):
        rows = [
            row
            for start in range(0, len(member_ids), CHUNK)
            for row in fetch_rows(
                community=community,
                policy=math,
                at=at,
                member_ids=member_ids[start : start + CHUNK],
            )
        ]
        for row in rows:
            stored = budgets[row.membership_id]
            fresh = budget_math.budget_from_totals(math, row.totals).rounded()
            result.checked += 1
            for name in COMPARED:
                old, new = getattr(stored, name), getattr(fresh, name)
                if old != new:
                    result.differences.append(
                        (stored.membership.display_name, name, str(old), str(new))
                    )
    return result
