"""Hooks through which the apps above the spine take part in a replay without the replay (part
of the spine's contract package) importing them:

* **Policy replayer** (``budgets``): checks a draft forgiveness policy (the changes to the live
  one, as for saving it) and replays it at the end of a period and over the whole period
  beside the live policy, with the live recalculation's own pure math.
* **Incident replayer** (``incidents``): which incidents the replayed alerts would have
  suggested or declared (the live detection's rule), what the live path did in the period, and
  when a runbook's automated steps would have run.

Apps register in their ``AppConfig.ready`` (idempotent by name). Results are plain JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

type Json = dict[str, Any]


@dataclass(frozen=True)
class PolicyReplayer:
    # (community id, draft changes) -> {field: message}; empty when the draft is valid.
    check: Callable[[int, Json], dict[str, str]]
    # (community id, draft changes, period from, period to) -> the members under the live and
    # the draft policy, at the end and over the whole period.
    replay: Callable[[int, Json, datetime, datetime], Json]


@dataclass(frozen=True)
class IncidentReplayer:
    # (community id, runbook id) -> the runbook's name, or None when it is not the community's.
    runbook_name: Callable[[int, int], str | None]
    # (community id) -> the community's active runbooks as (id, name), for the form.
    runbooks: Callable[[int], list[tuple[int, str]]]
    # (community id, replayed alerts, start, end, runbook id or None) -> the incidents section.
    replay: Callable[[int, list[Json], datetime, datetime, int | None], Json]


_POLICY: dict[str, PolicyReplayer] = {}
_INCIDENTS: dict[str, IncidentReplayer] = {}


def register_policy_replayer(name: str, replayer: PolicyReplayer) -> None:
    _POLICY[name] = replayer


def register_incident_replayer(name: str, replayer: IncidentReplayer) -> None:
    _INCIDENTS[name] = replayer


def policy_replayer() -> PolicyReplayer | None:
    return next(iter(_POLICY.values()), None)


def incident_replayer() -> IncidentReplayer | None:
    return next(iter(_INCIDENTS.values()), None)
