"""State changes of incidents, roles, runbooks and cooldowns. Views, the API, tasks and the
domain-event subscribers all call these; nothing else writes these models.

See ``incidents.services.common`` for the concurrency rule (``expected_version``).
"""

from __future__ import annotations

from incidents.services.authoring import (
    add_runbook_step,
    create_runbook,
    remove_runbook_step,
    set_runbook_active,
)
from incidents.services.common import (
    MAX_SLOW_MODE_SECONDS,
    Actor,
    StaleIncident,
    StepFailed,
    TransientStepError,
    cooldown_payload,
    incident_payload,
    settings_for,
    space_payload,
)
from incidents.services.cooldowns import (
    expire_cooldown,
    extend_cooldown,
    lift_cooldown,
    space_calm,
    start_cooldown,
    sweep_expired_cooldowns,
)
from incidents.services.detection import (
    declare_from_report,
    dismiss_report,
    handle_clause_alert,
    record_forum_attempt,
    report_heated_space,
)
from incidents.services.lifecycle import (
    IncidentMetrics,
    PeriodMetrics,
    declare_incident,
    incident_metrics,
    metrics_by_month,
    record_cost,
    transition_incident,
    update_incident,
)
from incidents.services.reports import attach_report, detach_report, open_incident_for
from incidents.services.roles import (
    add_note,
    assign_role,
    offer_facilitator,
    record_followup,
    respond_to_handoff,
    tick_checklist_item,
    withdraw_handoff,
)
from incidents.services.runbooks import (
    DEFAULT_NOTICE,
    DEFAULT_PARTY_MESSAGE,
    decide_lift_proposal,
    execute_step,
    fail_step,
    note_step_retry,
    record_check_in_due,
    retry_waiting_steps,
    run_step_now,
    skip_step,
    start_runbook,
)

__all__ = [
    "DEFAULT_NOTICE",
    "DEFAULT_PARTY_MESSAGE",
    "MAX_SLOW_MODE_SECONDS",
    "Actor",
    "IncidentMetrics",
    "PeriodMetrics",
    "StaleIncident",
    "StepFailed",
    "TransientStepError",
    "add_note",
    "add_runbook_step",
    "assign_role",
    "attach_report",
    "cooldown_payload",
    "create_runbook",
    "decide_lift_proposal",
    "declare_from_report",
    "declare_incident",
    "detach_report",
    "dismiss_report",
    "execute_step",
    "expire_cooldown",
    "extend_cooldown",
    "fail_step",
    "handle_clause_alert",
    "incident_metrics",
    "incident_payload",
    "lift_cooldown",
    "metrics_by_month",
    "note_step_retry",
    "offer_facilitator",
    "open_incident_for",
    "record_check_in_due",
    "record_cost",
    "record_followup",
    "record_forum_attempt",
    "remove_runbook_step",
    "report_heated_space",
    "respond_to_handoff",
    "retry_waiting_steps",
    "run_step_now",
    "set_runbook_active",
    "settings_for",
    "skip_step",
    "space_calm",
    "space_payload",
    "start_cooldown",
    "start_runbook",
    "sweep_expired_cooldowns",
    "tick_checklist_item",
    "transition_incident",
    "update_incident",
    "withdraw_handoff",
]
