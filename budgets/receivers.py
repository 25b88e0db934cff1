"""How budgets react to the spine: charges are written inside the ingest transaction."""

from __future__ import annotations

from typing import Any

from budgets.services import charge_events
from community.models import Community, ConductEvent


def on_conduct_events_recorded(
    sender: Any, *, community: Community, events: list[ConductEvent], **kwargs: Any
) -> None:
    charge_events(community=community, events=events)
