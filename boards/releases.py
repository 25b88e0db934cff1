"""What the boards read of contract releases, in one place (the releases package is read, never
changed): trials rolled back and promoted by month, for the change safety board; and release
health — each contract version and forgiveness policy change of the flow board's window, with
each clause's share of good events before and after and a call-out when a
clause got worse — for the flow board's clause charts.

Both kinds of change read the release-health model of ``community.contract.releases.health``
(``clauses_around``: the stored hourly snapshots at the change and 14 days later when they cover
both, else one aggregate query over the events of the 14 days around the change): a
contract version with its clauses as published, a forgiveness policy change with the live
clauses. At most ``MAX_CHANGES`` changes are read, so the board's query count is bounded
whatever the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets.models import PolicyVersion
from community.contract.releases.health import ClauseHealth, clauses_around, version_definitions
from community.contract.releases.models import Canary, CanaryStatus
from community.contract.slo import ClauseDefinition
from community.models import Clause, Community, ContractVersion

MAX_CHANGES = 8
CONTRACT = "contract"
POLICY = "policy"
# How a version tried in some spaces first ended, in words.
TRIED_FIRST: dict[str, Promise] = {
    CanaryStatus.RUNNING: gettext_lazy("Tried in some spaces first, then on trial."),
    CanaryStatus.PROMOTED: gettext_lazy(
        "Tried in some spaces first, then promoted to every space."
    ),
    CanaryStatus.ROLLED_BACK: gettext_lazy("Tried in some spaces first, then rolled back."),
}


# --- Trials, for change safety ----------------------------------------------------------------


@dataclass(frozen=True)
class MonthTrials:
    rolled_back: int
    promoted: int


def trials_by_month(
    *, community: Community, since: datetime, at: datetime
) -> dict[str, MonthTrials]:
    """Trials (canaries) that ended in the period, by the month they ended: rolled back (by
    their gate or a moderator) and promoted. One query."""
    ended = Coalesce("finished_at", "ends_at")
    rows = (
        Canary.objects.filter(community=community)
        .exclude(status=CanaryStatus.RUNNING)
        .annotate(ended=ended)
        .filter(ended__gt=since, ended__lte=at)
        .annotate(month=TruncMonth("ended"))
        .values("month")
        .annotate(
            rolled_back=Count("id", filter=Q(status=CanaryStatus.ROLLED_BACK)),
            promoted=Count("id", filter=Q(status=CanaryStatus.PROMOTED)),
        )
        .order_by("month")
    )
    return {
        row["month"].strftime("%Y-%m"): MonthTrials(row["rolled_back"], row["promoted"])
        for row in rows
    }


# --- Release health, for the flow board -------------------------------------------------------


@dataclass(frozen=True)
class ClauseChange:
    clause_id: int
    title: str
    before: Decimal | None
    after: Decimal | None
    worse: bool
    # From the stored snapshots: each figure over the clause's window of this many days, the
    # second ending at ``until`` (None: counted from the events of the 14 days each side).
    snapshot_window: int | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class ReleaseChange:
    kind: str  # CONTRACT or POLICY
    at: datetime
    label: str
    summary: str
    clauses: tuple[ClauseChange, ...]
    trial: str  # the trial's outcome in words ("" without one)

    @property
    def worse(self) -> list[ClauseChange]:
        return [c for c in self.clauses if c.worse]

    def clause(self, clause_id: int) -> ClauseChange | None:
        return next((c for c in self.clauses if c.clause_id == clause_id), None)


def _changes(rows: list[ClauseHealth]) -> tuple[ClauseChange, ...]:
    return tuple(
        ClauseChange(c.clause_id, c.title, c.before, c.after, c.worse, c.snapshot_window, c.until)
        for c in rows
    )


def _contract_change(version: ContractVersion) -> ReleaseChange:
    rows = clauses_around(
        community_id=version.contract.community_id,
        at=version.published_at,
        definitions=version_definitions(version),
    )
    canary = Canary.objects.filter(promoted_version=version).first()
    trial = "" if canary is None else str(TRIED_FIRST.get(canary.status, ""))
    return ReleaseChange(
        kind=CONTRACT,
        at=version.published_at,
        label=_("Contract version %(number)s") % {"number": version.number},
        summary=version.summary,
        clauses=_changes(rows),
        trial=trial,
    )


def _policy_change(
    community: Community, change: PolicyVersion, clauses: list[tuple[int, ClauseDefinition]]
) -> ReleaseChange:
    """The live clauses over the 14 days around a forgiveness policy change (one query)."""
    rows = clauses_around(community_id=community.pk, at=change.created_at, definitions=clauses)
    return ReleaseChange(
        kind=POLICY,
        at=change.created_at,
        label=_("Forgiveness policy version %(number)s") % {"number": change.version},
        summary=change.note or _("The forgiveness policy changed."),
        clauses=_changes(rows),
        trial="",
    )


def release_changes(
    *, community: Community, since: datetime, at: datetime, clauses: list[Clause]
) -> list[ReleaseChange]:
    """The contract versions and forgiveness policy changes made between ``since`` and ``at``,
    oldest first (the latest ``MAX_CHANGES``), each with its clauses before and after."""
    versions = list(
        ContractVersion.objects.filter(
            contract__community=community, published_at__gt=since, published_at__lte=at
        )
        .select_related("contract")
        .order_by("-published_at")[:MAX_CHANGES]
    )
    policies = list(
        PolicyVersion.objects.filter(
            community=community, created_at__gt=since, created_at__lte=at, version__gt=1
        ).order_by("-created_at")[:MAX_CHANGES]
    )
    definitions = [(c.pk, d) for c in clauses if (d := c.published_definition()) is not None]
    dated: list[tuple[datetime, ContractVersion | PolicyVersion]] = [
        *((v.published_at, v) for v in versions),
        *((p.created_at, p) for p in policies),
    ]
    dated.sort(key=lambda item: item[0])
    changes = []
    for _at, item in dated[-MAX_CHANGES:]:
        if isinstance(item, ContractVersion):
            changes.append(_contract_change(item))
        else:
            changes.append(_policy_change(community, item, definitions))
    return changes
