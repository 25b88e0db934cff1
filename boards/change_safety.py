"""The change safety board's read model: are our changes and recoveries getting safer and faster?

Response times (median and 90th percentile by month), the change failure rate (charges
overturned on appeal; contract changes rolled back: trials of a new version that their gate or
a moderator rolled back, read through ``boards.releases``), postmortems on time, agreements kept,
action items verified and repeat incidents within 90 days. A fixed number of queries: the rows
they bring back are one per incident or per month, never per member or per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth

from boards.releases import trials_by_month
from boards.timing import MonthTimes, Times, by_month, overall, repeats
from budgets.models import Appeal, AppealStatus
from community.models import Community, ContractVersion
from incidents.models import Incident
from incidents.postmortems.models import (
    ActionItem,
    ActionStatus,
    Agreement,
    AgreementStatus,
    Postmortem,
    PostmortemState,
)

MONTHS = 12
REPEAT_DAYS = 90


@dataclass(frozen=True)
class MonthChanges:
    month: str
    appeals_decided: int
    appeals_reversed: int
    contract_changes: int
    rolled_back: int = 0

    @property
    def reversed_share(self) -> float | None:
        return self.appeals_reversed / self.appeals_decided if self.appeals_decided else None


@dataclass(frozen=True)
class Share:
    """``part`` of ``whole`` (``share`` is None when there is nothing to count)."""

    part: int
    whole: int

    @property
    def share(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class ChangeSafety:
    community: Community
    at: datetime
    since: datetime
    times: list[MonthTimes]
    times_overall: MonthTimes
    changes: list[MonthChanges]
    overturned: Share
    contract_changes: int
    # Contract changes rolled back of all contract changes: a change is a version published
    # (with or without a trial first) or a trial rolled back before it was published.
    rolled_back: Share
    postmortems_on_time: Share
    agreements_kept: Share
    action_items_verified: Share
    repeat_incidents: Share


def _month(value: datetime) -> str:
    return value.strftime("%Y-%m")


def change_safety(*, community: Community, at: datetime) -> ChangeSafety:
    since = at - timedelta(days=MONTHS * 31)
    incidents = list(
        Incident.objects.for_community(community)
        .filter(declared_at__gt=since, declared_at__lte=at)
        .values_list("pk", "declared_at", "facilitator_at", "first_cooldown_at", "resolved_at")
    )
    times = [Times(*row[1:]) for row in incidents]
    spaces: dict[int, set[int]] = {}
    # Incidents up to 90 days before the period count as the "earlier" incident of a repeat.
    for incident_id, space_id in Incident.spaces.through.objects.filter(
        incident__community=community,
        incident__declared_at__gt=since - timedelta(days=REPEAT_DAYS),
        incident__declared_at__lte=at,
    ).values_list("incident_id", "space_id"):
        spaces.setdefault(incident_id, set()).add(space_id)
    earlier = dict(
        Incident.objects.for_community(community)
        .filter(declared_at__gt=since - timedelta(days=REPEAT_DAYS), declared_at__lte=since)
        .values_list("pk", "declared_at")
    )
    pool = [(pk, declared, frozenset(spaces.get(pk, ()))) for pk, declared, *_ in incidents]
    pool += [(pk, declared, frozenset(spaces.get(pk, ()))) for pk, declared in earlier.items()]
    repeated = repeats(pool, days=REPEAT_DAYS) - set(earlier)

    appeals = {
        _month(row["month"]): row
        for row in Appeal.objects.filter(
            community=community, decided_at__gt=since, decided_at__lte=at
        )
        .exclude(status=AppealStatus.PENDING)
        .annotate(month=TruncMonth("decided_at"))
        .values("month")
        .annotate(decided=Count("id"), reversed=Count("id", filter=Q(status=AppealStatus.UPHELD)))
        .order_by("month")
    }
    versions = {
        _month(row["month"]): row["n"]
        for row in ContractVersion.objects.filter(
            contract__community=community, published_at__gt=since, published_at__lte=at
        )
        .annotate(month=TruncMonth("published_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    }
    trials = trials_by_month(community=community, since=since, at=at)
    rollbacks = {month: t.rolled_back for month, t in trials.items() if t.rolled_back}
    changes = [
        MonthChanges(
            month=month,
            appeals_decided=appeals[month]["decided"] if month in appeals else 0,
            appeals_reversed=appeals[month]["reversed"] if month in appeals else 0,
            contract_changes=versions.get(month, 0) + rollbacks.get(month, 0),
            rolled_back=rollbacks.get(month, 0),
        )
        for month in sorted(set(appeals) | set(versions) | set(rollbacks))
    ]
    due = Postmortem.objects.filter(
        incident__community=community, due_at__gt=since, due_at__lte=at
    ).aggregate(
        due=Count("id"),
        on_time=Count(
            "id",
            filter=Q(state=PostmortemState.PUBLISHED, published_at__lte=F("due_at")),
        ),
    )
    agreements = Agreement.objects.filter(
        postmortem__incident__community=community, decided_at__gt=since, decided_at__lte=at
    ).aggregate(
        decided=Count("id", filter=~Q(status=AgreementStatus.OPEN)),
        kept=Count("id", filter=Q(status=AgreementStatus.KEPT)),
    )
    items = (
        ActionItem.objects.filter(community=community, created_at__gt=since, created_at__lte=at)
        .exclude(status=ActionStatus.OPEN)
        .aggregate(
            finished=Count("id"), verified=Count("id", filter=Q(status=ActionStatus.VERIFIED))
        )
    )
    return ChangeSafety(
        community=community,
        at=at,
        since=since,
        times=by_month(times),
        times_overall=overall(times),
        changes=changes,
        overturned=Share(
            sum(c.appeals_reversed for c in changes), sum(c.appeals_decided for c in changes)
        ),
        contract_changes=sum(c.contract_changes for c in changes),
        rolled_back=Share(
            sum(c.rolled_back for c in changes), sum(c.contract_changes for c in changes)
        ),
        postmortems_on_time=Share(due["on_time"], due["due"]),
        agreements_kept=Share(agreements["kept"], agreements["decided"]),
        action_items_verified=Share(items["verified"], items["finished"]),
        repeat_incidents=Share(len(repeated), len(incidents)),
    )
