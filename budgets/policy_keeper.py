"""How the releases package checks and applies a trial of the forgiveness policy's costs,
through ``community.contract.hooks`` (registered in ``BudgetsConfig.ready``): the spine never
imports ``budgets``, so ``budgets`` hands it these three calls."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from budgets.policy_words import not_settings, nothing_changed, policy_problems
from budgets.services import POLICY_FIELDS, get_policy, update_policy
from community.models import Community


def _values(costs: Any) -> dict[str, dict[str, Decimal]]:
    return {kind: {s: Decimal(str(v)) for s, v in by.items()} for kind, by in costs.items()}


class BudgetPolicyKeeper:
    """The ``hooks.PolicyKeeper`` of the forgiveness policy."""

    def current(self, community: Community) -> tuple[int, dict[str, Any]]:
        policy = get_policy(community=community)
        return policy.version, policy.as_dict()

    def errors(self, community: Community, changes: dict[str, Any]) -> dict[str, str]:
        """The policy's own validation of the changed settings, and "nothing changed"."""
        unknown = sorted(set(changes) - set(POLICY_FIELDS))
        if unknown:
            return not_settings(unknown)
        policy = get_policy(community=community)
        proposed = {name: getattr(policy, name) for name in POLICY_FIELDS} | changes
        errors = policy_problems(proposed)
        if errors:
            return errors
        same = all(
            _values(proposed[n]) == _values(getattr(policy, n))
            if n == "costs"
            else str(proposed[n]) == str(getattr(policy, n))
            for n in changes
        )
        if same:
            return nothing_changed()
        return {}

    def apply(
        self, community: Community, changes: dict[str, Any], by: User | None, note: str
    ) -> int:
        return update_policy(community=community, changes=changes, by=by, note=note).version
