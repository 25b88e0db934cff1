"""The boards' one piece of work with a side effect: asking for the fairness figures to be
counted again (on the ``recalc`` queue, after commit, through ``community.jobs``)."""

from __future__ import annotations

from boards.fairness import DEFAULT_WINDOW_DAYS
from boards.snapshots import store_fairness
from community.jobs import enqueue_after_commit
from community.models import Community


def request_fairness_count(*, community: Community, window_days: int = DEFAULT_WINDOW_DAYS) -> None:
    """A moderator's "Compute the figures again": the task counts and stores them."""
    enqueue_after_commit("boards.compute_fairness", community.pk, window_days)


def count_fairness(*, community_id: int, window_days: int) -> None:
    community = Community.objects.filter(pk=community_id).first()
    if community is not None:
        store_fairness(community=community, window_days=window_days)


def count_fairness_everywhere() -> int:
    """Beat, hourly: one task per community for the default window (fanned out, so a large
    community does not hold up the rest). Returns the number enqueued."""
    ids = list(Community.objects.order_by("pk").values_list("pk", flat=True))
    for pk in ids:
        enqueue_after_commit("boards.compute_fairness", pk, DEFAULT_WINDOW_DAYS)
    return len(ids)
