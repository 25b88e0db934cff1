"""Incidents: the incident and its roles and timeline, reports, runbooks and their runs,
cooldowns and the per-community settings."""

from __future__ import annotations

from incidents.models.cooldowns import Cooldown, CooldownEndReason, CooldownMode
from incidents.models.incidents import (
    AlertResponse,
    DetectedBy,
    FacilitatorHandoff,
    HandoffStatus,
    Incident,
    IncidentReport,
    IncidentRole,
    IncidentSettings,
    IncidentStatus,
    ReportSource,
    ReportStatus,
    RoleKind,
    SevLevel,
    TimelineEntry,
    TimelineKind,
)
from incidents.models.runbooks import (
    Notice,
    Runbook,
    RunbookRun,
    RunbookStep,
    StepKind,
    StepRun,
    StepStatus,
)

__all__ = [
    "AlertResponse",
    "Cooldown",
    "CooldownEndReason",
    "CooldownMode",
    "DetectedBy",
    "FacilitatorHandoff",
    "HandoffStatus",
    "Incident",
    "IncidentReport",
    "IncidentRole",
    "IncidentSettings",
    "IncidentStatus",
    "Notice",
    "ReportSource",
    "ReportStatus",
    "RoleKind",
    "Runbook",
    "RunbookRun",
    "RunbookStep",
    "SevLevel",
    "StepKind",
    "StepRun",
    "StepStatus",
    "TimelineEntry",
    "TimelineKind",
]
