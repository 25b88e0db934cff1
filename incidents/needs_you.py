""" "Needs you": everything waiting for a moderator, oldest first, each with its one primary
action. One read model for the page, the community home and the count in the navigation.

Sources here: incidents without a facilitator, offers to facilitate not yet answered, clause
alerts and member reports not yet handled, appeals waiting, and clauses whose budget is critical
or exhausted. Sources that live in apps or packages this module may not import (the forum calls
that failed for good and the deliveries set aside, in ``integrations``; postmortems due, in
``incidents.postmortems``) come through the spine's registry (``community.attention``).

The page costs one query per source; the navigation's count is one expression for all of them
(a sum of scalar subqueries), evaluated in the query that fetches the person's membership.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from budgets.models import Appeal, AppealStatus
from community import words
from community.attention import Item, Source, registered_sources
from community.contract.text import pace_words
from community.models import ClauseSnapshot, Community
from community.tiers import Tier
from incidents import rules
from incidents.models import (
    FacilitatorHandoff,
    HandoffStatus,
    Incident,
    IncidentReport,
    IncidentRole,
    ReportSource,
    ReportStatus,
    RoleKind,
)

ALARMING_TIERS = (Tier.CRITICAL, Tier.EXHAUSTED)


def _age(since: datetime, *, now: datetime | None = None) -> str:
    """How long something has waited, in words: "3 days", or "under a minute" (not "0 minutes")."""
    now = now or timezone.now()
    if (now - since).total_seconds() < 60:
        return _("under a minute")
    return timesince(since, now, depth=1)


class IncidentsWithoutFacilitator:
    name = "incidents-without-facilitator"

    def waiting(self, community: Community) -> QuerySet[Any]:
        facilitated = IncidentRole.objects.active().filter(
            incident=OuterRef("pk"), kind=RoleKind.FACILITATOR
        )
        return (
            Incident.objects.for_community(community)
            .open()
            .filter(~Exists(facilitated))
            .order_by("declared_at")
        )

    def items(self, community: Community, rows: QuerySet[Any]) -> list[Item]:
        return [
            Item(
                kind="incident",
                key=str(inc.pk),
                title=_("“%(title)s” has no facilitator") % {"title": inc.title},
                detail=_("%(severity)s, open for %(age)s.")
                % {"severity": inc.get_severity_display(), "age": _age(inc.declared_at)},
                since=inc.declared_at,
                action=_("Find a facilitator"),
                url=reverse("incidents:detail", args=[community.slug, inc.pk]),
            )
            for inc in rows
        ]


class HandoffsOffered:
    """Offers to facilitate an open incident that wait for their answer (DESIGN.md §4a: a
    handoff is offered and must be accepted; until then the incident keeps its facilitator)."""

    name = "handoffs-offered"

    def waiting(self, community: Community) -> QuerySet[Any]:
        return (
            FacilitatorHandoff.objects.filter(
                incident__community=community,
                incident__status__in=rules.OPEN_STATUSES,
                status=HandoffStatus.OFFERED,
            )
            .select_related("incident", "to_membership", "from_membership")
            .order_by("offered_at")
        )

    def items(self, community: Community, rows: QuerySet[Any]) -> list[Item]:
        items = []
        for offer in rows:
            by = offer.from_membership.display_name if offer.from_membership else _("A moderator")
            items.append(
                Item(
                    kind="handoff",
                    key=str(offer.pk),
                    title=_("%(name)s is asked to facilitate “%(title)s”")
                    % {"name": offer.to_membership.display_name, "title": offer.incident.title},
                    detail=_("%(by)s offered it %(age)s ago; it waits for an answer.")
                    % {"by": by, "age": _age(offer.offered_at)},
                    since=offer.offered_at,
                    action=_("Answer the offer"),
                    url=reverse("incidents:detail", args=[community.slug, offer.incident_id]),
                )
            )
        return items


class OpenReports:
    """Open reports of one source: member reports, or clause alerts not attached to an
    incident (when the community takes alerts as suggestions)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.name = f"reports-{source}"

    def waiting(self, community: Community) -> QuerySet[Any]:
        return (
            IncidentReport.objects.filter(
                community=community, source=self.source, status=ReportStatus.OPEN
            )
            .select_related("space", "reporter")
            .order_by("created_at")
        )

    def items(self, community: Community, rows: QuerySet[Any]) -> list[Item]:
        alert = self.source == ReportSource.CLAUSE_ALERT
        items = []
        for report in rows:
            where = report.space.name if report.space else _("the whole community")
            if alert:
                title = _("A clause alert about %(where)s, not part of an incident") % {
                    "where": where
                }
            else:
                who = report.reporter.display_name if report.reporter else _("A member")
                title = _("%(who)s reported %(where)s as heated") % {"who": who, "where": where}
            items.append(
                Item(
                    kind="alert" if alert else "report",
                    key=str(report.pk),
                    title=title,
                    detail=Truncator(report.message).chars(240)
                    or _("Waiting %(age)s.") % {"age": _age(report.created_at)},
                    since=report.created_at,
                    action=_("Declare or dismiss"),
                    url=reverse("incidents:board", args=[community.slug]) + "#reports-h",
                )
            )
        return items


class AppealsWaiting:
    name = "appeals"

    def waiting(self, community: Community) -> QuerySet[Any]:
        return (
            Appeal.objects.filter(community=community, status=AppealStatus.PENDING)
            .select_related("membership", "charge")
            .order_by("filed_at")
        )

    def items(self, community: Community, rows: QuerySet[Any]) -> list[Item]:
        return [
            Item(
                kind="appeal",
                key=str(appeal.pk),
                title=_("%(name)s appealed “%(reason)s”")
                % {
                    "name": appeal.membership.display_name,
                    "reason": words.without_post_ids(appeal.charge.reason),
                },
                detail=_("Waiting %(age)s.") % {"age": _age(appeal.filed_at)},
                since=appeal.filed_at,
                action=_("Decide"),
                url=reverse("budgets:appeals", args=[community.slug]) + f"#appeal-{appeal.pk}",
            )
            for appeal in rows
        ]


class ClausesInTrouble:
    """Live clauses whose latest community-wide status is critical or exhausted (with data),
    since the first evaluation after the last time they were healthier."""

    name = "clauses"

    def waiting(self, community: Community) -> QuerySet[Any]:
        last_better = (
            ClauseSnapshot.objects.filter(clause=OuterRef(OuterRef("clause")), scope="")
            .exclude(tier__in=ALARMING_TIERS)
            .order_by("-bucket")
            .values("bucket")[:1]
        )
        first_bad = (
            ClauseSnapshot.objects.filter(
                clause=OuterRef("clause"), scope="", tier__in=ALARMING_TIERS
            )
            .exclude(bucket__lte=Subquery(last_better))
            .order_by("bucket")
            .values("computed_at")[:1]
        )
        return (
            ClauseSnapshot.objects.latest_per_clause()
            .filter(
                clause__community=community,
                clause__is_live=True,
                scope="",
                tier__in=ALARMING_TIERS,
                sli__isnull=False,
            )
            .select_related("clause")
            .prefetch_related("clause__translations")
            .annotate(since=Subquery(first_bad))
            .order_by("computed_at")
        )

    def items(self, community: Community, rows: QuerySet[Any]) -> list[Item]:
        items = []
        for snap in rows:
            since = snap.since or snap.computed_at
            title = (
                _("“%(title)s”: its room for the month is used up")
                if snap.tier == Tier.EXHAUSTED
                else _("“%(title)s”: its room for the month is nearly used up")
            ) % {"title": snap.clause.title_in()}
            items.append(
                Item(
                    kind="clause",
                    key=str(snap.clause_id),
                    title=title,
                    detail=" ".join(
                        part
                        for part in (
                            _("Like this for %(age)s.") % {"age": _age(since)},
                            pace_words(snap.burn_rates, snap.clause.window_days),
                            _("Look at where it is happening."),
                        )
                        if part
                    ),
                    since=since,
                    action=_("Look at the clause"),
                    url=reverse("contract:page", args=[community.slug]),
                )
            )
        return items


OWN_SOURCES: tuple[Source, ...] = (
    IncidentsWithoutFacilitator(),
    HandoffsOffered(),
    OpenReports(ReportSource.CLAUSE_ALERT),
    OpenReports(ReportSource.MEMBER),
    AppealsWaiting(),
    ClausesInTrouble(),
)


def sources() -> list[Source]:
    return [*OWN_SOURCES, *registered_sources()]


@dataclass(frozen=True)
class NeedsYou:
    items: Sequence[Item]

    @property
    def count(self) -> int:
        return len(self.items)


def needs_you(community: Community) -> NeedsYou:
    """Everything waiting for a moderator of ``community``, oldest first (one query a source)."""
    found: list[Item] = []
    for source in sources():
        found.extend(source.items(community, source.waiting(community)))
    found.sort(key=lambda item: item.since)
    return NeedsYou(items=found)


def waiting_count(community: Any) -> Expression:
    """How many things wait, as one expression: the sum of each source's count, each a scalar
    subquery. ``community`` may be an ``OuterRef`` to the community column of an outer query,
    so the navigation's counts cost a single query (see ``incidents.context_processors``)."""
    # A source that can hold nothing (``.none()``) is left out: an empty subquery would make the
    # whole sum empty.
    waiting = [source.waiting(community) for source in sources()]
    counts = [
        Coalesce(
            Subquery(
                rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1],
                output_field=IntegerField(),
            ),
            0,
        )
        for rows in waiting
        if not rows.query.is_empty()
    ]
    total: Expression = counts[0]
    for count in counts[1:]:
        total = total + count
    return ExpressionWrapper(total, output_field=IntegerField())


def needs_you_count(community: Community) -> int:
    """How many things wait for the moderators of ``community`` (one query)."""
    found = Community.objects.filter(pk=community.pk).annotate(waiting=waiting_count(community))
    return int(found.values_list("waiting", flat=True).get())
