"""The incidents side of a replay (issue 13, docs/replay.md): which incidents the replayed
alerts would have declared or suggested, by the live detection's rule
(``services.detection.handle_clause_alert``), beside what the live path did in the period; and
when a runbook's automated steps would have run. Registered with the replay in
``IncidentsConfig.ready``; it writes nothing.

The live rule, alert by alert in the order they fire: an alert on a space joins an incident
open on that space at that moment (a real one, or one this replay declared for an episode on
the space that has not cleared yet); otherwise an alert on the whole community, or any alert
when the community takes alerts as suggestions, is suggested to the moderators; otherwise a
SEV3 incident is declared on the space, and the community's automatic runbook starts on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q

from community.models import Space
from incidents import rules
from incidents.models import (
    AlertResponse,
    DetectedBy,
    Incident,
    IncidentReport,
    IncidentSettings,
    ReportSource,
    Runbook,
    RunbookRun,
    SevLevel,
)


def runbook_name(community_id: int, runbook_id: int) -> str | None:
    return (
        Runbook.objects.filter(community_id=community_id, pk=runbook_id)
        .values_list("name", flat=True)
        .first()
    )


def runbooks(community_id: int) -> list[tuple[int, str]]:
    return list(
        Runbook.objects.active()
        .filter(community_id=community_id)
        .order_by("name")
        .values_list("pk", "name")
    )


def _open_at(community_id: int, space_id: int, at: datetime) -> Incident | None:
    return (
        Incident.objects.filter(community_id=community_id, spaces=space_id, declared_at__lte=at)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=at))
        .order_by("declared_at", "pk")
        .first()
    )


def _steps(runbook: Runbook, space: Space) -> list[dict[str, Any]]:
    """The runbook's automated steps on a SEV3 incident in ``space``: run, or skipped by their
    conditions (the rule ``start_runbook`` applies, ``RunbookStep.skip_reason``)."""
    return [
        {
            "position": step.position,
            "title": step.title,
            "runs": not step.skip_reason(severity=SevLevel.SEV3, space_kinds={space.kind}),
        }
        for step in runbook.steps.order_by("position")
        if step.is_automated
    ]


def replay_incidents(
    community_id: int,
    alerts: list[dict[str, Any]],
    start: datetime,
    end: datetime,
    runbook_id: int | None,
) -> dict[str, Any]:
    settings_ = settings_for_id(community_id)
    suggest_all = settings_.alert_response == AlertResponse.SUGGEST
    runbook = (
        Runbook.objects.filter(community_id=community_id, pk=runbook_id).first()
        if runbook_id is not None
        else None
    )
    auto_runbook_id = settings_.auto_runbook_id if settings_.auto_runbook_id else None
    ids = {int(a["scope"]) for a in alerts if a["scope"]}
    spaces = {s.pk: s for s in Space.objects.filter(community_id=community_id, pk__in=ids)}
    declared: list[tuple[int, datetime | None]] = []  # (space, when its episode clears)
    rows = []
    for alert in sorted(alerts, key=lambda a: (a["fired_at"], a["scope"], a["rule"])):
        fired = datetime.fromisoformat(alert["fired_at"])
        space = spaces.get(int(alert["scope"])) if alert["scope"] else None
        row: dict[str, Any] = {
            "rule": alert["rule"],
            "scope": alert["scope"],
            "at": alert["fired_at"],
        }
        live = _open_at(community_id, space.pk, fired) if space is not None else None
        replayed = space is not None and any(
            sid == space.pk and (cleared is None or cleared > fired) for sid, cleared in declared
        )
        outcome = rules.alert_outcome(
            on_space=space is not None,
            covered=live is not None or replayed,
            suggest_all=suggest_all,
        )
        if outcome == rules.JOIN:
            row |= {"outcome": outcome, "incident": live.title if live is not None else ""}
        elif outcome == rules.SUGGEST:
            row |= {"outcome": outcome}
        elif space is not None:
            cleared = alert["cleared_at"]
            declared.append((space.pk, datetime.fromisoformat(cleared) if cleared else None))
            row |= {"outcome": "declare", "severity": SevLevel.SEV3.value}
            if runbook is not None and runbook.is_active:
                row["runbook"] = {
                    "starts_by_itself": runbook.pk == auto_runbook_id,
                    "steps": _steps(runbook, space),
                }
        rows.append(row)
    period = {"community_id": community_id, "created_at__gt": start, "created_at__lte": end}
    live_declared = Incident.objects.filter(
        community_id=community_id,
        detected_by=DetectedBy.CLAUSE_ALERT,
        declared_at__gt=start,
        declared_at__lte=end,
    ).order_by("declared_at", "pk")
    live_suggested = IncidentReport.objects.filter(
        **period, source=ReportSource.CLAUSE_ALERT, incident__isnull=True
    ).order_by("created_at", "pk")
    runs = (
        RunbookRun.objects.filter(
            runbook=runbook, started_at__gt=start, started_at__lte=end
        ).order_by("started_at", "pk")
        if runbook is not None
        else RunbookRun.objects.none()
    )
    return {
        "takes_alerts_as": "suggestions" if suggest_all else "incidents",
        "runbook": None if runbook is None else runbook.name,
        "replayed": rows,
        "live": {
            "declared": [
                {"title": i.title, "at": i.declared_at.isoformat(), "severity": i.severity}
                for i in live_declared[:200]
            ],
            "suggested": [
                {"message": r.message, "at": r.created_at.isoformat()} for r in live_suggested[:200]
            ],
            "runbook_runs": [r.started_at.isoformat() for r in runs[:200]],
        },
    }


def settings_for_id(community_id: int) -> IncidentSettings:
    """The community's incident settings, or the defaults (without creating the row)."""
    found = IncidentSettings.objects.filter(community_id=community_id).first()
    return found if found is not None else IncidentSettings(community_id=community_id)
