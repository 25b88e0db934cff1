"""Hooks through which packages built on the contract (the releases package) take part in
publishing and in the contract page without the contract importing them.

* **Publish guards**: before a version is published, each registered guard may refuse with a
  message (the spokescouncil has not answered; a trial is running). A guard sees the community
  and the fingerprint of the draft about to be published (``services.draft_fingerprint``).
* **Trial sections**: the contract page asks each provider for a section to show above the
  clauses (a version on trial in some spaces, marked as a trial), as (template, context).
* **Appeal counts**: how many charges of some spaces were overturned on appeal. The budget
  ledger lives in ``budgets``, which the spine may not import, so ``budgets`` registers the
  counter in its ``ready``.
* **Live alert windows**: which rows may count in a live alert window (the replay package
  leaves imported history out, so it never pages anyone now).
* **Imported history**: which rows point at an event that came in as imported history, so that
  ``budgets`` can tell a tier reached through the past from one reached through news, and keep
  the first quiet (DESIGN.md §3.7: imported history never pages anyone now).
* **Trial rules**: while a trial of a contract version runs, the live evaluation counts the
  trial spaces with the trial's clause definitions (``TrialRules``).
* **Trial costs**: while a trial of a budget policy runs, a charge for friction in a trial
  space costs what the trial's policy says (``TrialCosts``, read by ``budgets``).
* **Policy keeper**: ``budgets`` registers how a policy change is validated and applied, so
  that a policy trial can be started and promoted without the releases package importing it.

Packages register in their ``AppConfig.ready`` (idempotent by name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from community.access import CommunityAccess
    from community.contract.slo import ClauseDefinition
    from community.models import Community, Membership


@dataclass(frozen=True)
class TrialRules:
    """A contract version on trial: in ``space_ids`` each live clause counts with
    ``definitions[clause id]``; a live clause missing from ``definitions`` (the trial drops it)
    does not apply there."""

    number: int
    space_ids: frozenset[int]
    definitions: Mapping[int, ClauseDefinition] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialCosts:
    """A budget policy on trial: a charge for friction in ``space_ids`` costs ``costs[kind]
    [severity]`` (points, as the policy stores them) instead of the policy in force."""

    policy_version: int
    space_ids: frozenset[int]
    costs: Mapping[str, Mapping[str, str]]

    def cost_for(self, kind: str, severity: str) -> Decimal | None:
        value = (self.costs.get(kind) or {}).get(severity or "moderate")
        return None if value is None else Decimal(str(value))


class PolicyKeeper(Protocol):
    """How ``budgets`` checks and applies a change of the forgiveness policy."""

    def current(self, community: Community) -> tuple[int, dict[str, Any]]:
        """(version, settings) of the policy in force."""
        ...

    def errors(self, community: Community, changes: dict[str, Any]) -> dict[str, str]:
        """Why these changes would be refused, by field (empty: they are valid)."""
        ...

    def apply(
        self, community: Community, changes: dict[str, Any], by: User | None, note: str
    ) -> int:
        """Apply them as a new policy version; returns its number."""
        ...


# (community, draft fingerprint) -> why it cannot be published now, or None.
type PublishGuard = Callable[[Community, str], str | None]
# (access, whose page) -> (template name, context) of a section for the contract page (whose
# page None: the reader's own) or a member's budget page, or None.
type TrialSection = Callable[
    [CommunityAccess, Membership | None], tuple[str, dict[str, Any]] | None
]
# (community id, space ids, start, end, inside) -> (charges, overturned on appeal). ``inside``
# False counts the charges *outside* those spaces.
type AppealCounter = Callable[[int, Iterable[int], datetime, datetime, bool], tuple[int, int]]

_GUARDS: dict[str, PublishGuard] = {}
_SECTIONS: dict[str, TrialSection] = {}
# (community id, start of the longest alert window) -> rows that may count in the window.
type AlertWindowFilter = Callable[[int, datetime], Q]

# (community id, path of an event id field) -> rows whose event is imported history.
type ImportedHistoryRows = Callable[[int, str], Q]

_APPEALS: dict[str, AppealCounter] = {}
_IMPORTED: dict[str, ImportedHistoryRows] = {}
_WINDOW_FILTERS: dict[str, AlertWindowFilter] = {}
_RULES: dict[str, Callable[[int], TrialRules | None]] = {}
_COSTS: dict[str, Callable[[int], TrialCosts | None]] = {}
_KEEPERS: dict[str, PolicyKeeper] = {}


def register_publish_guard(name: str, guard: PublishGuard) -> None:
    _GUARDS[name] = guard


def publish_refusals(community: Community, fingerprint: str) -> list[str]:
    """Every registered guard's reason why this draft cannot be published (empty: it may)."""
    return [reason for guard in _GUARDS.values() if (reason := guard(community, fingerprint))]


def register_trial_section(name: str, provider: TrialSection) -> None:
    _SECTIONS[name] = provider


def trial_sections(
    access: CommunityAccess, membership: Membership | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Sections about running trials: for the reader, or for ``membership``'s budget page."""
    return [found for p in _SECTIONS.values() if (found := p(access, membership)) is not None]


def register_appeal_counter(name: str, counter: AppealCounter) -> None:
    _APPEALS[name] = counter


def appeal_counts(
    community_id: int, space_ids: Iterable[int], start: datetime, end: datetime, inside: bool
) -> tuple[int, int]:
    """(charges, overturned) from the registered counter; (0, 0) when none is installed."""
    ids = list(space_ids)
    charges = overturned = 0
    for counter in _APPEALS.values():
        c, o = counter(community_id, ids, start, end, inside)
        charges, overturned = charges + c, overturned + o
    return charges, overturned


def register_alert_window_filter(name: str, window_filter: AlertWindowFilter) -> None:
    _WINDOW_FILTERS[name] = window_filter


def alert_window_rows(community_id: int, since: datetime) -> Q:
    """The rows that may count in a live alert window reaching back to ``since`` (every row
    when no filter is installed)."""
    rows = Q()
    for window_filter in _WINDOW_FILTERS.values():
        rows &= window_filter(community_id, since)
    return rows


def register_imported_history(name: str, rows: ImportedHistoryRows) -> None:
    _IMPORTED[name] = rows


def imported_history_rows(community_id: int, event_field: str) -> Q | None:
    """A filter keeping the rows whose ``event_field`` (an event's id) is imported history, or
    None when nothing is installed that knows (then no row is)."""
    filters = [rows(community_id, event_field) for rows in _IMPORTED.values()]
    if not filters:
        return None
    combined = filters[0]
    for extra in filters[1:]:
        combined |= extra
    return combined


def register_trial_rules(name: str, provider: Callable[[int], TrialRules | None]) -> None:
    _RULES[name] = provider


def trial_rules(community_id: int) -> TrialRules | None:
    """The contract version on trial in some spaces of the community, if any."""
    return next((r for p in _RULES.values() if (r := p(community_id)) is not None), None)


def register_trial_costs(name: str, provider: Callable[[int], TrialCosts | None]) -> None:
    _COSTS[name] = provider


def trial_costs(community_id: int) -> TrialCosts | None:
    """The budget policy on trial in some spaces of the community, if any."""
    return next((c for p in _COSTS.values() if (c := p(community_id)) is not None), None)


def register_policy_keeper(name: str, keeper: PolicyKeeper) -> None:
    _KEEPERS[name] = keeper


def policy_keeper() -> PolicyKeeper | None:
    """The registered keeper of the forgiveness policy (``budgets``), or None."""
    return next(iter(_KEEPERS.values()), None)
