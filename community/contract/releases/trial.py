"""What the releases package adds to other pages through registries: the trial section of the
contract page and of a member's budget page (registered in ``community.contract.hooks``) and
the council's waiting answers in Needs you (``community.attention``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from community import words
from community.access import CommunityAccess
from community.attention import Item
from community.contract.hooks import policy_keeper
from community.contract.releases.models import Answer, Canary, CouncilGroup
from community.models import ClauseSnapshot, Community, ConductEvent, Membership, Space

ACTIVE_DAYS = 30


@dataclass(frozen=True)
class TrialClause:
    """One clause as it stands in one trial space, counted under the trial's definition."""

    title: str
    space: str
    sli_percent: str
    target_percent: str
    bad: int
    total: int


@dataclass(frozen=True)
class TrialCost:
    """One friction kind's costs under a policy trial, beside the costs in force."""

    kind: str
    tried: str
    in_force: str


def _costs_line(by_severity: dict[str, Any]) -> str:
    return ", ".join(
        f"{severity} {words.points(Decimal(str(by_severity[severity])))}"
        for severity in ("minor", "moderate", "severe")
        if severity in by_severity
    )


def _trial_clauses(canary: Canary, spaces: list[Space]) -> list[TrialClause]:
    """The latest status of each clause on trial in each trial space (the live evaluation
    writes these under the trial's definition while it runs)."""
    targets = {int(str(c["clause_id"])): c for c in canary.clauses}
    names = {str(s.pk): s.name for s in spaces}
    rows = (
        ClauseSnapshot.objects.filter(
            clause__community_id=canary.community_id,
            clause_id__in=list(targets),
            scope__in=list(names),
            computed_at__gte=canary.started_at,
        )
        .latest_per_clause()
        .order_by("clause_id", "scope")
    )
    found = []
    for snap in rows:
        data = targets[snap.clause_id]
        target = Decimal(str(data["target"]))
        found.append(
            TrialClause(
                title=str(data["title"]),
                space=names[snap.scope],
                sli_percent="" if snap.sli is None else words.percent(snap.sli, 2),
                target_percent=words.percent(target, 2),
                bad=snap.bad,
                total=snap.total,
            )
        )
    return sorted(found, key=lambda c: (c.title, c.space))


def _values(by_severity: dict[str, Any]) -> dict[str, Decimal]:
    return {s: Decimal(str(v)) for s, v in by_severity.items()}


def _trial_costs(canary: Canary) -> list[TrialCost]:
    """Friction kinds whose costs the policy trial changes, beside the costs in force."""
    tried = canary.policy_changes.get("costs", {})
    keeper = policy_keeper()
    in_force = keeper.current(canary.community)[1].get("costs", {}) if keeper else {}
    return [
        TrialCost(
            kind=words.event_kind(kind, 2),
            tried=_costs_line(by),
            in_force=_costs_line(in_force.get(kind, {})),
        )
        for kind, by in sorted(tried.items())
        if _values(by) != _values(in_force.get(kind, {}))
    ]


def trial_section(
    access: CommunityAccess, membership: Membership | None = None
) -> tuple[str, dict[str, Any]] | None:
    """A running trial, as members read it: which version applies in which spaces, marked as
    a trial, each clause's status in the trial spaces; "applies to you" for a member who
    posted there lately (on a budget page, the member whose budget it is)."""
    canary = (
        Canary.objects.running()
        .filter(community=access.community)
        .select_related("community")
        .prefetch_related("spaces")
        .first()
    )
    if canary is None:
        return None
    whose = membership or access.membership
    spaces = sorted(canary.spaces.all(), key=lambda s: s.name)
    yours: list[str] = []
    if whose is not None:
        since = timezone.now() - timedelta(days=ACTIVE_DAYS)
        active = set(
            ConductEvent.objects.filter(
                member=whose,
                space__in=spaces,
                occurred_at__gte=since,
            ).values_list("space_id", flat=True)
        )
        yours = [s.name for s in spaces if s.pk in active]
    own = whose is not None and access.membership is not None and whose.pk == access.membership.pk
    context = {
        "canary": canary,
        "spaces": spaces,
        "yours": yours,
        "own": own,
        "who": whose.display_name if whose is not None else "",
        "budget_page": membership is not None,
        "clauses": [] if canary.is_policy else _trial_clauses(canary, spaces),
        "costs": _trial_costs(canary) if canary.is_policy else [],
    }
    return ("releases/_trial.html", context)


class CouncilAwaiting:
    """Groups whose delegate has not yet answered the draft the council was asked about, while
    ratification is on. ``community`` may be an ``OuterRef`` (the navigation counts every
    source in one query), so this is one QuerySet expression."""

    name = "council-awaiting"

    def waiting(self, community: Community) -> QuerySet[Any]:
        answered = Answer.objects.standing().filter(
            group=OuterRef("pk"), fingerprint=OuterRef("council__asked_fingerprint")
        )
        return (
            CouncilGroup.objects.filter(
                council__community=community, council__enabled=True, delegate__isnull=False
            )
            .exclude(council__asked_fingerprint="")
            .exclude(Exists(answered))
            .select_related("delegate", "council")
        )

    def items(self, community: Community, rows: QuerySet[Any]) -> list[Item]:
        url = reverse("releases:council", args=[community.slug])
        return [
            Item(
                kind="council",
                key=str(group.pk),
                title=f"{group.name} has not answered version {group.council.asked_number} yet",
                detail=f"Its delegate, {group.delegate.display_name}, is asked to ratify, "
                "stand aside or block.",
                since=group.council.started_at,
                action="Open the council",
                url=url,
            )
            for group in rows
        ]
