"""Imported history never pages anyone now (DESIGN.md §3.7, docs/replay.md).

An event given through the batch API or ``replay_discourse`` (``ingest_events(...,
imported=True)``) whose ``recorded_at`` is more than ``IMPORT_GRACE`` before the time it was
received is *imported history*. This module keeps a note of each such event (only while it could
still be inside an alert window: ``MAX_WINDOW_DAYS``) and gives the live evaluation the filter
that leaves them out of every alert window, so they never fire a live alert, and so never the
moderators' email, a notice, an incident suggestion or a forum action that follow one. They
still count in the clause's SLI and budget (by ``occurred_at``: they happened) and in replays.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from community.contract.replay.models import IMPORT_GRACE, ImportedEvent
from community.contract.slo import MAX_WINDOW_DAYS
from community.models import Community, ConductEvent

LONGEST_ALERT_WINDOW = timedelta(days=MAX_WINDOW_DAYS)


def is_imported_history(*, recorded_at: datetime, received_at: datetime) -> bool:
    return received_at - recorded_at > IMPORT_GRACE


def note_imported_events(
    *, community: Community, events: Iterable[ConductEvent], received_at: datetime
) -> int:
    """Keep a note of the events that are imported history and could still be inside an
    alert window, and forget the notes that no alert window can reach any more. Returns how
    many were noted."""
    rows = [
        ImportedEvent(
            event_id=e.pk,
            community_id=community.pk,
            recorded_at=e.recorded_at,
            received_at=received_at,
        )
        for e in events
        if is_imported_history(recorded_at=e.recorded_at, received_at=received_at)
        and e.recorded_at > received_at - LONGEST_ALERT_WINDOW
    ]
    ImportedEvent.objects.filter(
        community=community, recorded_at__lte=received_at - LONGEST_ALERT_WINDOW
    ).delete()
    ImportedEvent.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def on_events_recorded(
    sender: object,
    community: Community,
    events: Iterable[ConductEvent],
    imported: bool = False,
    **_: Any,
) -> None:
    """Receiver of ``conduct_events_recorded`` (inside the ingest transaction)."""
    if imported:
        note_imported_events(community=community, events=events, received_at=timezone.now())


def live_window_filter(community_id: int, since: datetime) -> Q:
    """Rows that may count in a live alert window reaching back to ``since``: every event but
    the imported history recorded after ``since`` (one uncorrelated subquery)."""
    imported = ImportedEvent.objects.filter(
        community_id=community_id, recorded_at__gt=since
    ).values("event_id")
    return ~Q(pk__in=imported)


def imported_rows(community_id: int, event_field: str) -> Q:
    """Rows whose ``event_field`` is an event of the community noted as imported history (the
    notes reach back further than any budget window: ``MAX_WINDOW_DAYS``). A correlated probe
    of the notes' primary key: the rows asked about are few, the notes may be millions."""
    noted = ImportedEvent.objects.filter(community_id=community_id, event_id=OuterRef(event_field))
    return Q(Exists(noted))
