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

Packages register in their ``AppConfig.ready`` (idempotent by name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q

if TYPE_CHECKING:
    from community.access import CommunityAccess
    from community.models import Community


# (community, draft fingerprint) -> why it cannot be published now, or None.
type PublishGuard = Callable[[Community, str], str | None]
# (access) -> (template name, context) of a section for the contract page, or None.
type TrialSection = Callable[[CommunityAccess], tuple[str, dict[str, Any]] | None]
# (community id, space ids, start, end, inside) -> (charges, overturned on appeal). ``inside``
# False counts the charges *outside* those spaces.
type AppealCounter = Callable[[int, Iterable[int], datetime, datetime, bool], tuple[int, int]]

_GUARDS: dict[str, PublishGuard] = {}
_SECTIONS: dict[str, TrialSection] = {}
# (community id, start of the longest alert window) -> rows that may count in the window.
type AlertWindowFilter = Callable[[int, datetime], Q]

_APPEALS: dict[str, AppealCounter] = {}
_WINDOW_FILTERS: dict[str, AlertWindowFilter] = {}


def register_publish_guard(name: str, guard: PublishGuard) -> None:
    _GUARDS[name] = guard


def publish_refusals(community: Community, fingerprint: str) -> list[str]:
    """Every registered guard's reason why this draft cannot be published (empty: it may)."""
    return [reason for guard in _GUARDS.values() if (reason := guard(community, fingerprint))]


def register_trial_section(name: str, provider: TrialSection) -> None:
    _SECTIONS[name] = provider


def trial_sections(access: CommunityAccess) -> list[tuple[str, dict[str, Any]]]:
    return [found for p in _SECTIONS.values() if (found := p(access)) is not None]


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
