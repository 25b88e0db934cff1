"""The hourly event count rollup (``EventHourCount``): refreshed incrementally at the start of
each clause evaluation, read by release health and the flow board instead of the raw events.

A read is exact: whole hours come from the rollup (the events recorded by the last refresh,
``EventRollupMark.through``), and from the events themselves only what the rollup cannot know:
the partial hours at both ends of the window, the hours since the refresh, events recorded
since it (late arrivals and imported history), and upheld flags whose reversal (a rejection on
the same subject) was recorded between the refresh and the time the figures are read "as of".
So the events read per request are bounded by an hour or two, not by the window.

A refresh recounts only the hours that changed: those of events recorded since the last
refresh (less a margin for transactions that committed late) and those of upheld flags whose
reversal was recorded since. It deletes and rewrites those hours, so running it twice changes
nothing. It takes its community's mark row with a short lock timeout (and skips when another
refresh holds it), in its own transaction before the evaluation locks any clause, so no lock
order can deadlock with the evaluation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from community.models import ConductEvent, EventHourCount, EventRollupMark
from community.vocabulary import REVERSING_KINDS, EventKind

HOUR = timedelta(hours=1)
# Events recorded up to this long before the last refresh are looked at again: a transaction
# that stamped ``recorded_at`` before the refresh but committed after it is still counted.
LATE_COMMIT_MARGIN = timedelta(minutes=10)
LOCK_TIMEOUT = "2s"
REVERSERS = list(REVERSING_KINDS)
UNDONE = list(REVERSING_KINDS.values())
ALL_KINDS = [str(k) for k in EventKind.values]

EVENTS = ConductEvent._meta.db_table
ROLLUP = EventHourCount._meta.db_table

# Subjects reversed by a reversing event recorded in (lo, hi].
_REVERSED = (
    f"SELECT r.subject FROM {EVENTS} r WHERE r.community_id = %(c)s AND r.kind = ANY(%(rev)s)"
    " AND r.subject <> '' AND r.recorded_at > %(lo)s AND r.recorded_at <= %(hi)s"
)


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _reversed_by(lo: str, hi: str) -> str:
    return _REVERSED.replace("%(lo)s", lo).replace("%(hi)s", hi)


# --- Refresh ----------------------------------------------------------------------------------


def _count_hours(community_id: int, through: datetime, hours: list[datetime] | None) -> None:
    """Rewrite the rollup rows of ``hours`` (every hour when None) from the events recorded by
    ``through``."""
    params: dict[str, Any] = {
        "c": community_id,
        "w": through,
        "kinds": ALL_KINDS,
        "undone": UNDONE,
        "rev": REVERSERS,
        "lo": datetime.min.replace(tzinfo=UTC),
        "hi": through,
        "hours": hours,
    }
    if hours is None:
        source = f"{EVENTS} e WHERE e.community_id = %(c)s AND e.kind = ANY(%(kinds)s)"
        delete = f"DELETE FROM {ROLLUP} WHERE community_id = %(c)s"
    else:
        source = (
            f"unnest(%(hours)s::timestamptz[]) AS h(hour) JOIN {EVENTS} e"
            " ON e.community_id = %(c)s AND e.kind = ANY(%(kinds)s)"
            " AND e.occurred_at >= h.hour AND e.occurred_at < h.hour + interval '1 hour' WHERE TRUE"
        )
        delete = f"DELETE FROM {ROLLUP} WHERE community_id = %(c)s AND hour = ANY(%(hours)s)"
    insert = (
        f"INSERT INTO {ROLLUP} (community_id, hour, space_id, kind, category, count, reversed)"
        " SELECT %(c)s, date_trunc('hour', e.occurred_at, 'UTC'), e.space_id, e.kind,"
        " e.category, count(*), count(*) FILTER (WHERE e.kind = ANY(%(undone)s)"
        f" AND e.subject IN ({_REVERSED}))"
        f" FROM {source} AND e.recorded_at <= %(w)s GROUP BY 2, 3, 4, 5"
    )
    with connection.cursor() as cursor:
        cursor.execute(delete, params)
        cursor.execute(insert, params)


def _changed_hours(community_id: int, since: datetime, through: datetime) -> list[datetime]:
    params: dict[str, Any] = {
        "c": community_id,
        "lo": since,
        "hi": through,
        "rev": REVERSERS,
        "undone": UNDONE,
    }
    sql = (
        f"SELECT date_trunc('hour', e.occurred_at, 'UTC') FROM {EVENTS} e"
        " WHERE e.community_id = %(c)s AND e.recorded_at > %(lo)s AND e.recorded_at <= %(hi)s"
        f" UNION SELECT date_trunc('hour', u.occurred_at, 'UTC') FROM {EVENTS} u"
        " WHERE u.community_id = %(c)s AND u.kind = ANY(%(undone)s)"
        f" AND u.subject IN ({_REVERSED})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def refresh_event_rollup(community_id: int) -> bool:
    """Bring the community's rollup up to now. Returns False when another refresh held the
    lock (that one counts the same events)."""
    through = timezone.now()
    EventRollupMark.objects.get_or_create(community_id=community_id)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('lock_timeout')")
            (previous,) = cursor.fetchone() or ("0",)
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
            try:
                with transaction.atomic():
                    mark = EventRollupMark.objects.select_for_update().get(
                        community_id=community_id
                    )
            except OperationalError:
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
                return False
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
        if mark.through is None:
            _count_hours(community_id, through, None)
        else:
            hours = _changed_hours(community_id, mark.through - LATE_COMMIT_MARGIN, through)
            if hours:
                _count_hours(community_id, through, hours)
        mark.through = through
        mark.save(update_fields=["through"])
    return True


# --- Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupCount:
    space_id: int | None
    kind: str
    category: str
    count: int
    reversed: int

    @property
    def not_reversed(self) -> int:
        return self.count - self.reversed


def _window_sql(
    community_id: int, start: datetime, end: datetime, kinds: Sequence[str], as_of: datetime
) -> tuple[str, str, dict[str, Any]]:
    """SQL of rows (space_id, kind, category, count, reversed) whose sums per group are the
    events of ``kinds`` that occurred in (start, end], and of them those reversed by a reversing
    event recorded by ``as_of``."""
    covered_from = floor_hour(start) + HOUR
    params: dict[str, Any] = {
        "c": community_id,
        "kinds": list(kinds),
        "undone": UNDONE,
        "rev": REVERSERS,
        "start": start,
        "end": end,
        "as_of": as_of,
        "a": covered_from,
        "b": max(covered_from, floor_hour(end)),
        "min": datetime.min.replace(tzinfo=UTC),
    }
    # The refresh's time (w) and the end of the whole hours the rollup answers for (b): none
    # without a refresh, so that the events answer for everything.
    mark = (
        "WITH m AS (SELECT COALESCE(max(through), '-infinity') AS w,"
        " GREATEST(%(a)s, LEAST(%(b)s, COALESCE(date_trunc('hour', max(through), 'UTC'), %(a)s)))"
        f" AS b FROM {EventRollupMark._meta.db_table} WHERE community_id = %(c)s) "
    )
    raw = (
        "SELECT e.space_id, e.kind, e.category, count(*) AS n,"
        " count(*) FILTER (WHERE e.kind = ANY(%(undone)s)"
        f" AND e.subject IN ({_reversed_by('%(min)s', '%(as_of)s')})) AS r"
        f" FROM {EVENTS} e WHERE e.community_id = %(c)s AND e.kind = ANY(%(kinds)s)"
        " AND e.occurred_at > %(start)s AND e.occurred_at <= %(end)s AND {where}"
        " GROUP BY 1, 2, 3"
    )
    parts = [
        f"SELECT space_id, kind, category, count AS n, reversed AS r FROM {ROLLUP}"
        " WHERE community_id = %(c)s AND kind = ANY(%(kinds)s)"
        " AND hour >= %(a)s AND hour < %(B)s",
        raw.replace("{where}", "e.occurred_at < %(a)s"),
        raw.replace("{where}", "e.occurred_at >= %(B)s"),
        raw.replace(
            "{where}", "e.occurred_at >= %(a)s AND e.occurred_at < %(B)s AND e.recorded_at > %(W)s"
        ),
        # Counted by the rollup with their reversal as of the refresh: correct to ``as_of``.
        "SELECT e.space_id, e.kind, e.category, 0 AS n,"
        f" count(*) FILTER (WHERE e.subject IN ({_reversed_by('%(min)s', '%(as_of)s')}))"
        f" - count(*) FILTER (WHERE e.subject IN ({_reversed_by('%(min)s', '%(W)s')})) AS r"
        f" FROM {EVENTS} e WHERE e.community_id = %(c)s AND e.kind = ANY(%(kinds)s)"
        " AND e.kind = ANY(%(undone)s) AND e.occurred_at >= %(a)s AND e.occurred_at < %(B)s"
        " AND e.recorded_at <= %(W)s AND e.subject IN ("
        f"{_reversed_by('LEAST(%(W)s, %(as_of)s)', 'GREATEST(%(W)s, %(as_of)s)')})"
        " GROUP BY 1, 2, 3",
    ]
    body = " UNION ALL ".join(f"({p})" for p in parts)
    body = body.replace("%(W)s", "(SELECT w FROM m)").replace("%(B)s", "(SELECT b FROM m)")
    return mark, body, params


def _tagged(sql: str, params: dict[str, Any], tag: int) -> tuple[str, dict[str, Any]]:
    """The same SQL with its parameters renamed, so that several windows share one query."""
    return (
        re.sub(r"%\((\w+)\)s", lambda m: f"%({m.group(1)}_{tag})s", sql),
        {f"{k}_{tag}": v for k, v in params.items()},
    )


def windows_counts(
    *,
    community_id: int,
    windows: Sequence[tuple[datetime, datetime]],
    kinds: Sequence[str],
    as_of: datetime,
) -> list[list[GroupCount]]:
    """For each window (start, end]: the events of ``kinds`` that occurred in it per (space,
    kind, category), with how many a reversal recorded by ``as_of`` cancels. One query."""
    if not windows:
        return []
    selects, params = [], {}
    for tag, (start, end) in enumerate(windows):
        mark, sql, window_params = _window_sql(community_id, start, end, kinds, as_of)
        text, tagged = _tagged(
            f"({mark}SELECT {tag} AS tag, space_id, kind, category, sum(n) AS n, sum(r) AS r"
            f" FROM ({sql}) w GROUP BY 2, 3, 4)",
            window_params,
            tag,
        )
        selects.append(text)
        params.update(tagged)
    result: list[list[GroupCount]] = [[] for _ in windows]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        for tag, space, kind, category, n, r in cursor.fetchall():
            result[tag].append(GroupCount(space, kind, category, int(n), int(r)))
    return result


def top_not_reversed(
    *,
    community_id: int,
    start: datetime,
    end: datetime,
    kinds: Sequence[str],
    as_of: datetime,
    space_id: int | None,
    limit: int,
) -> list[tuple[str, str, int]]:
    """(kind, category, events not reversed) most frequent first, ties by kind and category in
    the database's order: the flow board's top friction. One query."""
    mark, sql, params = _window_sql(community_id, start, end, kinds, as_of)
    where = "TRUE" if space_id is None else "space_id = %(space)s"
    params = {**params, "space": space_id, "limit": limit}
    with connection.cursor() as cursor:
        cursor.execute(
            f"{mark}SELECT kind, category, sum(n) - sum(r) AS m FROM ({sql}) w WHERE {where}"
            " GROUP BY 1, 2 HAVING sum(n) - sum(r) > 0 ORDER BY m DESC, kind, category"
            " LIMIT %(limit)s",
            params,
        )
        return [(k, c, int(m)) for k, c, m in cursor.fetchall()]
