"""The boards' numbers in words, rows and charts: one place that the pages and the CSV downloads
read, so a figure on the page and in the file always agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from boards.change_safety import ChangeSafety, Share
from boards.charts import Chart, bar_chart, interval_chart, line_chart, position_among
from boards.fairness import cohort_words
from boards.fairness_math import CohortFigures, FairnessTable
from boards.flow import ClauseHealth, FlowHealth
from boards.readings import reading
from boards.releases import CONTRACT, ReleaseChange
from community import words
from community.contract.releases.health import DAYS
from community.tier_words import tier_label
from incidents.words import duration


def ratio_words(value: float | Decimal | None) -> str:
    return "—" if value is None else words.percent(value)


def share_words(share: Share, none: str | Promise | None = None) -> str:
    if share.share is None:
        return _("nothing to count yet") if none is None else str(none)
    return _("%(percent)s (%(part)s of %(whole)s)") % {
        "percent": words.percent(share.share, 0),
        "part": share.part,
        "whole": share.whole,
    }


def time_words(value: timedelta | None) -> str:
    return duration(value)


# --- Flow health ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeRow:
    """One contract version or policy change as one clause saw it."""

    label: str
    day: str
    before: str
    after: str
    worse: bool
    words: str


@dataclass(frozen=True)
class ClauseRow:
    health: ClauseHealth
    sli: str
    target: str
    budget: str
    tier: str
    burn: list[str]
    chart: Chart
    days: list[tuple[str, str]]
    changes: list[ChangeRow]


def _day_number(moment: datetime) -> float:
    """A moment as a day count with its fraction (the charts' x axis)."""
    return moment.timestamp() / 86400


def change_rows(health: ClauseHealth, changes: list[ReleaseChange]) -> list[ChangeRow]:
    rows = []
    for change in changes:
        seen = change.clause(health.clause.pk)
        before = ratio_words(seen.before) if seen else "—"
        after = ratio_words(seen.after) if seen else "—"
        if seen is None:
            text = _("This clause was not part of the contract then.")
        elif seen.before is None or seen.after is None:
            text = _(
                "Not enough events on both sides of the change to compare (%(days)s days)."
            ) % {"days": DAYS}
        elif seen.snapshot_window is not None and seen.until is not None:
            stored = {
                "before": before,
                "after": after,
                "window": seen.snapshot_window,
                "end": date_format(seen.until, _("d M")),
            }
            text = (
                _(
                    "%(before)s of events were good over the clause's %(window)s days up to the "
                    "change, %(after)s over its %(window)s days up to %(end)s: it got worse "
                    "after this change."
                )
                if seen.worse
                else _(
                    "%(before)s of events were good over the clause's %(window)s days up to the "
                    "change, %(after)s over its %(window)s days up to %(end)s."
                )
            ) % stored
        else:
            figures = {"before": before, "after": after, "days": DAYS}
            if seen.worse:
                text = (
                    _(
                        "%(before)s of events were good in the %(days)s days before, %(after)s in "
                        "the %(days)s days after: it got worse after this change."
                    )
                    % figures
                )
            else:
                text = (
                    _(
                        "%(before)s of events were good in the %(days)s days before, %(after)s in "
                        "the %(days)s days after."
                    )
                    % figures
                )
        rows.append(
            ChangeRow(
                label=change.label,
                day=date_format(change.at, _("d M Y")),
                before=before,
                after=after,
                worse=bool(seen and seen.worse),
                words=text,
            )
        )
    return rows


def release_callouts(board: FlowHealth) -> list[str]:
    """One sentence per change after which a clause got worse."""
    lines = []
    for change in board.releases:
        for clause in change.worse:
            if clause.snapshot_window is not None and clause.until is not None:
                lines.append(
                    _(
                        "“%(title)s” got worse after %(change)s (%(day)s): %(before)s of events "
                        "were good over its %(window)s days up to the change, %(after)s over its "
                        "%(window)s days up to %(end)s."
                    )
                    % {
                        "title": clause.title,
                        "change": f"{change.label[:1].lower()}{change.label[1:]}",
                        "day": date_format(change.at, _("d M")),
                        "before": ratio_words(clause.before),
                        "after": ratio_words(clause.after),
                        "window": clause.snapshot_window,
                        "end": date_format(clause.until, _("d M")),
                    }
                )
                continue
            lines.append(
                _(
                    "“%(title)s” got worse after %(change)s (%(day)s): %(before)s of events "
                    "were good in the %(days)s days before, %(after)s after."
                )
                % {
                    "title": clause.title,
                    "change": f"{change.label[:1].lower()}{change.label[1:]}",
                    "day": date_format(change.at, _("d M")),
                    "before": ratio_words(clause.before),
                    "after": ratio_words(clause.after),
                    "days": DAYS,
                }
            )
    return lines


def clause_rows(board: FlowHealth) -> list[ClauseRow]:
    rows = []
    day_format = _("d M")
    for health in board.clauses:
        status, definition = health.status, health.definition
        window = definition.window_days
        burn = []
        if status is not None:
            for label, rate in sorted(status.burn_rates.items(), key=lambda kv: kv[0]):
                burn.append(
                    _("Over %(window)s: %(rate)s")
                    % {"window": words_window(label), "rate": words.clause_burn_rate(rate, window)}
                )
        values = [
            (
                date_format(snap.bucket, day_format),
                float(snap.sli * 100) if snap.sli is not None else None,
            )
            for snap in health.history
        ]
        changes = change_rows(health, board.releases)
        days = [_day_number(snap.bucket) for snap in health.history]
        markers = [
            (at, short_label(change), row.worse)
            for change, row in zip(board.releases, changes, strict=True)
            if (at := position_among(days, _day_number(change.at))) is not None
        ]
        chart = line_chart(
            title=_("%(title)s: share of good events, one point a day")
            % {"title": health.clause.title},
            desc=(
                _(
                    "The clause's indicator over the last %(days)s days against its target of "
                    "%(target)s, with a line at each of %(changes)s changes of the contract or "
                    "policy (listed below the chart)."
                )
                if markers
                else _(
                    "The clause's indicator over the last %(days)s days against its target of "
                    "%(target)s."
                )
            )
            % {
                "days": len(values),
                "target": words.percent(definition.target),
                "changes": len(markers),
            },
            values=values,
            x_label=_("Day"),
            y_label=_("Good events"),
            target=float(definition.target * 100),
            markers=markers,
        )
        rows.append(
            ClauseRow(
                health=health,
                sli=(
                    words.percent(status.sli)
                    if status is not None and status.sli is not None
                    else _("no data yet")
                ),
                target=words.percent(definition.target),
                budget=words.percent(status.budget_remaining) if status is not None else "—",
                tier=tier_label(health.tier),
                burn=burn,
                chart=chart,
                days=[
                    (label, "—" if v is None else _("%(number)s %%") % {"number": words.rounded(v)})
                    for label, v in values
                ],
                changes=changes,
            )
        )
    return rows


def short_label(change: ReleaseChange) -> str:
    """A change's label on the chart: "Contract version 3" → "v3", a policy change → "p2"."""
    number = change.label.rsplit(" ", 1)[-1]
    return f"{'v' if change.kind == CONTRACT else 'p'}{number}"


def words_window(label: str) -> str:
    """A window label ("5m", "1h", "3d") in words."""
    unit = label[-1:]
    number = int(label[:-1]) if label[:-1].isdigit() else 0
    minutes = {"m": 1, "h": 60, "d": 60 * 24}.get(unit, 0) * number
    return words.minutes(minutes) if minutes else label


def friction_category(category: str) -> str:
    return words.flag_category(category) if category else _("no category")


# --- Change safety --------------------------------------------------------------------------

NO_CONTRACT_CHANGES = gettext_lazy("no contract changes yet")


def change_chart(board: ChangeSafety) -> Chart:
    values = [
        (
            m.month,
            m.to_resolution.median.total_seconds() / 3600 if m.to_resolution.median else None,
        )
        for m in board.times
    ]
    return bar_chart(
        title=_("Median time to resolution, by month"),
        desc=_("Hours from declaring an incident to resolving it, the median of each month."),
        values=values,
        x_label=_("Month incidents were declared"),
        y_label=_("Hours"),
        unit=_(" h"),
    )


# --- Fairness -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortRow:
    figures: CohortFigures
    label: str
    reading: str
    members: str
    posts: str
    charges: str
    per_100: str
    warning: str
    overturned: str
    ratio: str
    interval: str


def _count(value: int | None) -> str:
    return _("suppressed") if value is None else str(value)


def cohort_rows(table: FairnessTable) -> list[CohortRow]:
    reference = cohort_words(table.reference)
    rows = []
    for c in table.cohorts:
        label = cohort_words(c.name)
        suppressed = _("suppressed")
        rows.append(
            CohortRow(
                figures=c,
                label=label[:1].upper() + label[1:],
                reading=reading(label, reference, c),
                members=_count(c.members),
                posts=_count(c.posts),
                charges=_count(c.charges),
                per_100=suppressed
                if c.suppressed
                else (
                    "—"
                    if c.charges_per_100_posts is None
                    else words.rounded(c.charges_per_100_posts)
                ),
                warning=suppressed if c.suppressed else ratio_words(c.share_warning_or_worse),
                overturned=suppressed if c.suppressed else ratio_words(c.overturned_share),
                ratio=_("reference")
                if c.is_reference and not c.suppressed
                else (
                    suppressed
                    if c.suppressed
                    else (
                        "—"
                        if c.rate is None
                        else _("%(number)s times") % {"number": words.rounded(c.rate.ratio)}
                    )
                ),
                interval="—"
                if c.rate is None
                else _("%(low)s to %(high)s")
                % {"low": words.rounded(c.rate.low, 2), "high": words.rounded(c.rate.high, 2)},
            )
        )
    return rows


def fairness_chart(table: FairnessTable) -> Chart | None:
    rows = [
        (cohort_words(c.name), c.rate.ratio, c.rate.low, c.rate.high, c.flagged)
        for c in table.cohorts
        if c.rate is not None
    ]
    if not rows:
        return None
    return interval_chart(
        title=_("Charges per post compared with %(reference)s")
        % {"reference": cohort_words(table.reference)},
        desc=_(
            "Each line is a group's rate ratio with its 95 %% interval; the middle line is no "
            "difference. A line that does not cross it is unlikely to be chance."
        )
        % {},
        rows=rows,
        x_label=_("Times as often as %(reference)s (log scale)")
        % {"reference": cohort_words(table.reference)},
        times=_("%(number)s times"),
    )
