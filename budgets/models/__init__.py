"""Forgiveness budgets: the policy, the ledger (charges, forgiveness, appeals) and the member
budget snapshots with their tier transitions and actions."""

from __future__ import annotations

from budgets.models.fan_out import FanOutChunk, FanOutRun
from budgets.models.ledger import Appeal, AppealStatus, Charge, Forgiveness, ForgivenessKind
from budgets.models.policy import ForgivenessPolicy, PolicyVersion
from budgets.models.snapshots import (
    DirtyMember,
    LiftCause,
    MemberBudget,
    MemberCooldown,
    Notice,
    NoticeAudience,
    RecalcFlag,
    RecalcRun,
    TierTransition,
)

__all__ = [
    "Appeal",
    "AppealStatus",
    "Charge",
    "DirtyMember",
    "FanOutChunk",
    "FanOutRun",
    "Forgiveness",
    "ForgivenessKind",
    "ForgivenessPolicy",
    "LiftCause",
    "MemberBudget",
    "MemberCooldown",
    "Notice",
    "NoticeAudience",
    "PolicyVersion",
    "RecalcFlag",
    "RecalcRun",
    "TierTransition",
]
