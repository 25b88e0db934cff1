"""How many charges of some spaces were overturned on appeal: the appeals measure of the
contract's canary gate (registered in ``BudgetsConfig.ready`` through
``community.contract.hooks``, since the spine may not import ``budgets``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Q

from budgets.models import AppealStatus, Charge


def count_overturned(
    community_id: int, space_ids: Iterable[int], start: datetime, end: datetime, inside: bool
) -> tuple[int, int]:
    """(charges, overturned) for charges whose behaviour happened in ``[start, end)`` in the
    given spaces (``inside``) or anywhere else in the community (not ``inside``)."""
    ids = list(space_ids)
    charges = Charge.objects.filter(
        community_id=community_id, occurred_at__gte=start, occurred_at__lt=end
    )
    in_spaces = Q(event__space_id__in=ids)
    charges = charges.filter(in_spaces) if inside else charges.exclude(in_spaces)
    counts = charges.aggregate(
        charges=Count("pk"),
        overturned=Count("pk", filter=Q(appeal__status=AppealStatus.UPHELD)),
    )
    return int(counts["charges"]), int(counts["overturned"])
