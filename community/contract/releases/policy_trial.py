"""Trials of the budget policy's costs: start one (the same gate as a contract trial measures
the contract in force), and apply its costs as the next policy version when it is promoted
(``canary.promote_canary``). The policy lives in ``budgets``, reached through
``hooks.policy_keeper`` since the spine may not import it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community import words
from community.contract.hooks import policy_keeper
from community.contract.releases.gate import Thresholds
from community.contract.releases.models import Baseline, Canary, TrialKind
from community.contract.releases.starting import (
    record_start,
    refuse_a_second_trial,
    trial_spaces,
)
from community.contract.services import get_contract
from community.models import Community
from community.services import ConflictError, ServiceError


@dataclass(frozen=True)
class CostRow:
    """One friction kind of the policy in force, as the policy trial form shows it."""

    kind: str
    words: str
    costs: list[tuple[str, str]]


def policy_cost_rows(community: Community) -> list[CostRow]:
    """The costs in force, per friction kind and severity (the policy trial form's start)."""
    keeper = policy_keeper()
    if keeper is None:
        return []
    costs = keeper.current(community)[1].get("costs", {})
    return [
        CostRow(kind, words.event_kind(kind, 2), [(s, str(v)) for s, v in by.items()])
        for kind, by in sorted(costs.items())
    ]


def start_policy_trial(
    *,
    community: Community,
    space_ids: Sequence[int],
    duration_hours: int,
    summary: str,
    costs: dict[str, Any],
    by: User | None,
    by_name: str = "",
    baseline: str = Baseline.REST,
    thresholds: Thresholds | None = None,
) -> Canary:
    """Put new costs of the budget policy on trial in some spaces: while it runs a charge for
    friction there costs what ``costs`` says (per friction kind and severity; kinds not named
    keep their cost). The gate is the contract's, measuring the version in force. Refused, as
    a contract trial is, and when the costs are invalid or change nothing."""
    summary, spaces = trial_spaces(community, space_ids, duration_hours, summary, baseline)
    thresholds = thresholds or Thresholds()
    keeper = policy_keeper()
    if keeper is None:
        raise ServiceError(_("Budget policies are not installed, so there is nothing to try."))
    if not isinstance(costs, dict) or not costs:
        raise ServiceError(_("Give the new costs, per friction kind and severity."))
    with transaction.atomic():
        previous = get_contract(community=community).current_version()
        if previous is None:
            raise ServiceError(
                _("Publish a first version of the contract: the gate measures its clauses.")
            )
        refuse_a_second_trial(community, spaces)
        version, current = keeper.current(community)
        changes = {"costs": {**current["costs"], **costs}}
        errors = keeper.errors(community, changes)
        if errors:
            raise ServiceError(" ".join(errors.values()))
        now = timezone.now()
        name = by_name or (by.get_username() if by is not None else "API")
        canary = Canary.objects.create(
            community=community,
            kind=TrialKind.POLICY,
            number=version + 1,
            summary=summary,
            preamble=previous.preamble,
            policy=previous.policy,
            clauses=previous.clauses,
            fingerprint="",
            base_version=previous,
            policy_changes=changes,
            base_policy_version=version,
            baseline=baseline,
            # The gate's thresholds are stored on the trial under the same names.
            **asdict(thresholds),
            started_at=now,
            ends_at=now + timedelta(hours=duration_hours),
            started_by_name=name,
        )
        record_start(canary, spaces, duration_hours, name, now)
    return canary


def apply_policy(canary: Canary, by: User | None) -> int:
    """Save a policy trial's costs as the next policy version, unless the policy changed since
    the trial began (those costs were tried against another policy)."""
    keeper = policy_keeper()
    if keeper is None:
        raise ServiceError(_("Budget policies are not installed, so there is nothing to promote."))
    version, _policy = keeper.current(canary.community)
    if version != canary.base_policy_version:
        raise ConflictError(
            _(
                "The budget policy changed since the trial began (it is at version "
                "%(version)s): start a new trial of these costs."
            )
            % {"version": version}
        )
    note = f"Promoted from its trial: {canary.summary}"
    return keeper.apply(canary.community, dict(canary.policy_changes), by, note)
