"""Postmortem metrics (issue 12 item 8): postmortems on time, guardrail action items verified,
and repeat incidents involving the same members within 90 days. A read model shared by the
postmortems page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from community.models import Community
from incidents.models import Incident
from incidents.postmortems import rules
from incidents.postmortems.models import ActionItem, ActionStatus, Postmortem

REPEAT_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def share(self) -> Decimal | None:
        return rules.share(self.part, self.whole)

    @property
    def percent(self) -> str:
        value = self.share
        return "—" if value is None else f"{(value * 100).quantize(Decimal('1'))} %"


@dataclass(frozen=True)
class PostmortemMetrics:
    on_time: Ratio
    """Of the postmortems due by now (or published), those published by their due time."""
    verified: Ratio
    """Of the guardrail items whose verification finished (verified, or reopened by a breach),
    those verified."""
    verifying: int
    repeats: Ratio
    """Of the incidents declared in the last 90 days, those that involve a member who was a
    party to another incident declared in the 90 days before it."""


def repeat_incidents(community: Community, *, now: datetime) -> Ratio:
    since = now - REPEAT_WINDOW
    recent = list(
        Incident.objects.filter(community=community, declared_at__gt=since).values_list(
            "pk", "declared_at"
        )
    )
    # Who was a party to which incident, back to 90 days before the oldest recent one.
    Through = Incident.parties.through
    parties: dict[int, list[tuple[datetime, int]]] = {}
    for incident_id, declared_at, membership_id in Through.objects.filter(
        incident__community=community, incident__declared_at__gt=since - REPEAT_WINDOW
    ).values_list("incident_id", "incident__declared_at", "membership_id"):
        parties.setdefault(membership_id, []).append((declared_at, incident_id))
    members_of: dict[int, set[int]] = {}
    for membership_id, rows in parties.items():
        for _, incident_id in rows:
            members_of.setdefault(incident_id, set()).add(membership_id)
    repeats = 0
    for pk, declared_at in recent:
        if any(
            other != pk and declared_at - REPEAT_WINDOW <= at < declared_at
            for m in members_of.get(pk, set())
            for at, other in parties[m]
        ):
            repeats += 1
    return Ratio(repeats, len(recent))


def postmortem_metrics(community: Community, *, now: datetime | None = None) -> PostmortemMetrics:
    now = now or timezone.now()
    docs = list(Postmortem.objects.for_community(community).values_list("due_at", "published_at"))
    counted = [(due, pub) for due, pub in docs if due <= now or pub is not None]
    on_time = sum(1 for due, pub in counted if rules.on_time(due_at=due, published_at=pub))
    items = ActionItem.objects.filter(community=community, verify_clause__isnull=False)
    verified = items.filter(status=ActionStatus.VERIFIED).count()
    breached = items.filter(reopen_count__gt=0).exclude(status=ActionStatus.VERIFIED).count()
    return PostmortemMetrics(
        on_time=Ratio(on_time, len(counted)),
        verified=Ratio(verified, verified + breached),
        verifying=items.filter(status=ActionStatus.VERIFYING).count(),
        repeats=repeat_incidents(community, now=now),
    )
