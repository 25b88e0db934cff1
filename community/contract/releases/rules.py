"""What a running trial changes in the live path, handed to it through
``community.contract.hooks`` (registered in ``ReleasesConfig.ready``): the clause definitions
that count in the trial spaces of a contract trial, and the costs of a policy trial."""

from __future__ import annotations

from community.contract.hooks import TrialCosts, TrialRules
from community.contract.releases.measure import clause_definition
from community.contract.releases.models import Canary, TrialKind


def _running(community_id: int, kind: str) -> Canary | None:
    return (
        Canary.objects.running()
        .filter(community_id=community_id, kind=kind)
        .prefetch_related("spaces")
        .first()
    )


def running_trial_rules(community_id: int) -> TrialRules | None:
    """The running contract trial's clauses by clause id, and its spaces."""
    canary = _running(community_id, TrialKind.CONTRACT)
    if canary is None:
        return None
    return TrialRules(
        number=canary.number,
        space_ids=frozenset(s.pk for s in canary.spaces.all()),
        definitions={int(str(c["clause_id"])): clause_definition(c) for c in canary.clauses},
    )


def running_trial_costs(community_id: int) -> TrialCosts | None:
    """The running policy trial's costs, and its spaces."""
    canary = _running(community_id, TrialKind.POLICY)
    if canary is None:
        return None
    return TrialCosts(
        policy_version=canary.number,
        space_ids=frozenset(s.pk for s in canary.spaces.all()),
        costs=canary.policy_changes.get("costs", {}),
    )
