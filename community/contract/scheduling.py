"""When clauses are evaluated, and how long their history is kept.

* Every minute the scheduler sweeps every community with a live clause (``evaluate_all``).
* After ingest, ``request_evaluation`` queues one evaluation of the community after commit,
  unless one is already pending (the ``Contract.evaluation_pending`` flag coalesces batches).
* How long their history is kept is a retention setting: the hourly purge of
  ``operations.retention`` deletes what nobody reads any more.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from community.contract.evaluation import evaluate_community
from community.jobs import enqueue_after_commit
from community.models import Clause, Community, ConductEvent, Contract


def evaluate_all(*, now: datetime | None = None) -> int:
    """The periodic sweep: every community with a live clause. Returns clauses evaluated."""
    evaluated = 0
    ids = Clause.objects.live().values_list("community_id", flat=True).distinct()
    for community in Community.objects.filter(pk__in=list(ids)):
        Contract.objects.filter(community=community).update(evaluation_pending=False)
        evaluated += len(evaluate_community(community=community, now=now))
    return evaluated


def run_requested_evaluation(*, community_id: int) -> int:
    """The coalesced evaluation after ingest: clear the pending flag first, so events that
    arrive while we count queue exactly one more evaluation."""
    community = Community.objects.filter(pk=community_id).first()
    if community is None:
        return 0
    Contract.objects.filter(community=community).update(evaluation_pending=False)
    return len(evaluate_community(community=community))


def request_evaluation(*, community: Community) -> bool:
    """Queue one evaluation of this community's clauses after commit, unless one is pending.
    Returns whether a new evaluation was queued. If the broker is down the flag stays set and
    the periodic sweep evaluates (and clears it) instead."""
    if not Clause.objects.live().filter(community=community).exists():
        return False
    flagged = Contract.objects.filter(community=community, evaluation_pending=False).update(
        evaluation_pending=True
    )
    if not flagged:
        return False
    enqueue_after_commit("community.evaluate_community_clauses", community.pk)
    return True


def on_events_recorded(
    sender: object, community: Community, events: Iterable[ConductEvent], **_: Any
) -> None:
    """Receiver of ``conduct_events_recorded`` (connected in ``ContractConfig.ready``)."""
    request_evaluation(community=community)
