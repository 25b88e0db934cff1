"""Release health, a read model shared by the pages and the API: for each published version, each
clause's SLI before and after it went live (from the stored hourly snapshots at the change and
14 days later when they cover both, else counted from the events of the 14 days each side; the
clause as published in that version), a call-out when a clause got worse, and a daily SLI chart
of each clause with every version as a marker (server-rendered SVG with a data table).

A replay summary per version has its slot in :data:`REPLAY_SUMMARIES`: the replay package
registers a provider there when it exists; until then the page says no replay was run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from community.contract.counting import selectors
from community.contract.releases.gate import percent, worse_after
from community.contract.releases.models import Answer, Canary
from community.contract.services import draft_fingerprint
from community.contract.slo import ClauseDefinition
from community.models import ClauseSnapshot, ConductEvent, ContractVersion

DAYS = 14
# A stored snapshot stands for a moment when it was taken at most this long before it (the
# evaluation runs every minute; a newly published clause's history has one a day).
COVER = timedelta(days=1)
WORSE_POINTS = Decimal("0.5")
CHART_W, CHART_H = 560, 120

# (version) -> a sentence summarising a replay of that version, or None. Filled by a replay
# package in its ``ready``; empty means no replay was run.
type ReplaySummary = Callable[[ContractVersion], str | None]
REPLAY_SUMMARIES: dict[str, ReplaySummary] = {}


def register_replay_summary(name: str, provider: ReplaySummary) -> None:
    REPLAY_SUMMARIES[name] = provider


@dataclass(frozen=True)
class ClauseHealth:
    clause_id: int
    title: str
    before: Decimal | None
    after: Decimal | None
    before_total: int
    after_total: int
    worse: bool
    # Read from the stored snapshots (``snapshot_window`` days each, the clause's own window,
    # the second one ending at ``until``) rather than counted from the events of DAYS days.
    snapshot_window: int | None = None
    until: datetime | None = None

    @property
    def words(self) -> str:
        if self.before is None or self.after is None:
            return _("“%(title)s”: not enough posts on both sides of the change to compare.") % {
                "title": self.title
            }
        if self.snapshot_window is not None and self.until is not None:
            stored = {
                "title": self.title,
                "before": percent(self.before),
                "after": percent(self.after),
                "window": self.snapshot_window,
                "end": date_format(self.until, _("d M")),
            }
            if self.worse:
                return (
                    _(
                        "“%(title)s”: %(before)s of posts met the norm over its %(window)s days "
                        "up to the change, %(after)s over its %(window)s days up to %(end)s — it "
                        "got worse after this change."
                    )
                    % stored
                )
            return (
                _(
                    "“%(title)s”: %(before)s of posts met the norm over its %(window)s days up to "
                    "the change, %(after)s over its %(window)s days up to %(end)s."
                )
                % stored
            )
        figures = {
            "title": self.title,
            "before": percent(self.before),
            "after": percent(self.after),
            "days": DAYS,
        }
        if self.worse:
            return (
                _(
                    "“%(title)s”: %(before)s of posts met the norm in the %(days)s days before, "
                    "%(after)s in the %(days)s days after — it got worse after this change."
                )
                % figures
            )
        return (
            _(
                "“%(title)s”: %(before)s of posts met the norm in the %(days)s days before, "
                "%(after)s in the %(days)s days after."
            )
            % figures
        )


@dataclass
class VersionHealth:
    version: ContractVersion
    clauses: list[ClauseHealth]
    canary: Canary | None
    answers: list[Answer] = field(default_factory=list)
    replay: list[str] = field(default_factory=list)

    @property
    def worse(self) -> list[ClauseHealth]:
        return [c for c in self.clauses if c.worse]


def _sli(total: int, bad: int) -> Decimal | None:
    return None if total == 0 else Decimal(total - bad) / Decimal(total)


def version_definitions(version: ContractVersion) -> list[tuple[int, ClauseDefinition]]:
    """(clause id, the clause as published in ``version``) for each of its clauses."""
    return [
        (
            int(data["clause_id"]),
            ClauseDefinition.from_dict(
                {k: v for k, v in data.items() if k not in ("clause_id", "slug")}
            ),
        )
        for data in version.clauses
    ]


def _stored_around(
    *, at: datetime, now: datetime, definitions: list[tuple[int, ClauseDefinition]]
) -> list[ClauseHealth] | None:
    """Each clause from its stored community-wide snapshots: its status as the change went live
    (the last snapshot at or before ``at``) and :data:`DAYS` days later (or now, when sooner).
    One query over at most two days of hourly rows per clause; None unless every clause has a
    snapshot within :data:`COVER` before both moments (then the events are counted instead).
    The snapshots were evaluated with the clause as it was live at each moment."""
    if not definitions:
        return None
    end = min(at + timedelta(days=DAYS), now)
    ids = [pk for pk, _definition in definitions]
    rows = ClauseSnapshot.objects.filter(clause_id__in=ids, scope="").filter(
        Q(bucket__gt=at - COVER - timedelta(hours=1), bucket__lte=at, computed_at__lte=at)
        | Q(bucket__gt=end - COVER - timedelta(hours=1), bucket__lte=end, computed_at__gt=at)
    )
    before: dict[int, ClauseSnapshot] = {}
    after: dict[int, ClauseSnapshot] = {}
    for snap in rows.order_by("computed_at"):
        if snap.computed_at <= at:
            before[snap.clause_id] = snap  # the latest wins
        elif end - COVER < snap.computed_at <= end:
            after[snap.clause_id] = snap
    # Under COVER after the change there is no reading after it yet (a snapshot taken minutes
    # later still stands for the weeks before): each clause says so, as with no events after.
    recent = now - at < COVER
    found = []
    for clause_id, definition in definitions:
        first, second = before.get(clause_id), after.get(clause_id)
        if first is None or first.computed_at <= at - COVER or (second is None and not recent):
            return None
        if recent or second is None:
            found.append(
                ClauseHealth(
                    clause_id=clause_id,
                    title=definition.title,
                    before=first.sli,
                    after=None,
                    before_total=first.total,
                    after_total=0,
                    worse=False,
                    snapshot_window=definition.window_days,
                    until=now,
                )
            )
            continue
        found.append(
            ClauseHealth(
                clause_id=clause_id,
                title=definition.title,
                before=first.sli,
                after=second.sli,
                before_total=first.total,
                after_total=second.total,
                worse=worse_after(first.sli, second.sli, points=WORSE_POINTS),
                snapshot_window=definition.window_days,
                until=second.computed_at,
            )
        )
    return found


def clauses_around(
    *, community_id: int, at: datetime, definitions: list[tuple[int, ClauseDefinition]]
) -> list[ClauseHealth]:
    """Each clause around ``at``: from the stored hourly snapshots when they cover both moments
    (``_stored_around``, one small query), else its SLI over the :data:`DAYS` days before and
    after ``at`` from one aggregate query over the events of those days (four conditional
    counts per clause)."""
    now = timezone.now()
    stored = _stored_around(at=at, now=now, definitions=definitions)
    if stored is not None:
        return stored
    return counted_around(community_id=community_id, at=at, definitions=definitions, now=now)


def counted_around(
    *,
    community_id: int,
    at: datetime,
    definitions: list[tuple[int, ClauseDefinition]],
    now: datetime,
) -> list[ClauseHealth]:
    """Each clause's SLI over the :data:`DAYS` days before and after ``at``, counted from the
    events (one aggregate query)."""
    before = Q(occurred_at__gt=at - timedelta(days=DAYS), occurred_at__lte=at)
    after = Q(occurred_at__gt=at, occurred_at__lte=at + timedelta(days=DAYS))
    aggregates: dict[str, Any] = {}
    for i, (_pk, definition) in enumerate(definitions):
        total_q, bad_q = selectors(community_id, definition, now)
        if definition.spaces:
            where = Q(space_id__in=definition.spaces)
            total_q, bad_q = total_q & where, bad_q & where
        aggregates[f"tb{i}"] = Count("pk", filter=total_q & before)
        aggregates[f"bb{i}"] = Count("pk", filter=bad_q & before)
        aggregates[f"ta{i}"] = Count("pk", filter=total_q & after)
        aggregates[f"ba{i}"] = Count("pk", filter=bad_q & after)
    c = (
        ConductEvent.objects.filter(
            community_id=community_id,
            occurred_at__gt=at - timedelta(days=DAYS),
            occurred_at__lte=at + timedelta(days=DAYS),
        ).aggregate(**aggregates)
        if aggregates
        else {}
    )
    rows = []
    for i, (clause_id, definition) in enumerate(definitions):
        sli_before = _sli(c[f"tb{i}"], c[f"bb{i}"])
        sli_after = _sli(c[f"ta{i}"], c[f"ba{i}"])
        rows.append(
            ClauseHealth(
                clause_id=clause_id,
                title=definition.title,
                before=sli_before,
                after=sli_after,
                before_total=c[f"tb{i}"],
                after_total=c[f"ta{i}"],
                worse=worse_after(sli_before, sli_after, points=WORSE_POINTS),
            )
        )
    return rows


def version_health(version: ContractVersion) -> VersionHealth:
    """The version's clauses around its publication (one query), its trial, its ratification
    answers and any replay summary."""
    community_id = version.contract.community_id
    rows = clauses_around(
        community_id=community_id,
        at=version.published_at,
        definitions=version_definitions(version),
    )
    canary = Canary.objects.filter(promoted_version=version).first()
    answers = list(
        Answer.objects.filter(
            council__community_id=community_id, fingerprint=draft_fingerprint(version)
        ).select_related("group")
    )
    replay = [s for p in REPLAY_SUMMARIES.values() if (s := p(version))]
    return VersionHealth(version, rows, canary, answers, replay)


@dataclass(frozen=True)
class Marker:
    x: str
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    points: str
    markers: list[Marker]
    table: list[tuple[str, str]]
    width: int = CHART_W
    height: int = CHART_H


def clause_charts(
    clauses: list[tuple[int, str]], versions: list[ContractVersion], days: int = 60
) -> list[Chart]:
    """Each clause's chart (``clauses`` are (id, title)), from one query for all of them."""
    now = timezone.now()
    start = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    daily: dict[int, dict[str, Decimal]] = {pk: {} for pk, _ in clauses}
    for snap in ClauseSnapshot.objects.filter(
        clause_id__in=list(daily), scope="", bucket__gte=start, sli__isnull=False
    ).order_by("bucket"):
        daily[snap.clause_id][snap.bucket.date().isoformat()] = snap.sli or Decimal(0)
    return [_chart(title, daily[pk], versions, start, now) for pk, title in clauses]


def _chart(
    title: str,
    daily: dict[str, Decimal],
    versions: list[ContractVersion],
    start: datetime,
    now: datetime,
) -> Chart:
    """A clause's daily community-wide SLI since ``start`` (the last snapshot of each day),
    with a marker at every version published in that time."""
    span = (now - start).total_seconds() or 1.0

    def x(seconds: float) -> str:
        return f"{seconds / span * CHART_W:.1f}"

    values = list(daily.values())
    low = min([*values, Decimal("0.9")])
    pts = []
    for day, sli in daily.items():
        moment = datetime.fromisoformat(day).replace(tzinfo=now.tzinfo)
        y = CHART_H - float((sli - low) / (1 - low if low < 1 else Decimal(1))) * (CHART_H - 10) - 5
        pts.append(f"{x((moment - start).total_seconds())},{y:.1f}")
    markers = [
        Marker(
            x((v.published_at - start).total_seconds()),
            _("Version %(number)s") % {"number": v.number},
        )
        for v in versions
        if v.published_at >= start
    ]
    table = [(day, percent(sli)) for day, sli in daily.items()]
    return Chart(title=title, points=" ".join(pts), markers=markers, table=table)
