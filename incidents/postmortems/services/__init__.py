"""State changes of postmortems and their action items. Views, the API and the tasks all call
these; nothing else writes these models."""

from __future__ import annotations

from incidents.postmortems.services.action_items import (
    ItemFields,
    StaleActionItem,
    add_action_item,
    check_all_verifications,
    check_verification,
    mark_done,
    reopen_by_hand,
    set_status,
    update_action_item,
    window_counts,
)
from incidents.postmortems.services.document import (
    StalePostmortem,
    StaleSection,
    acknowledge_finding,
    ensure_postmortem,
    publish_postmortem,
    publish_refusal,
    request_review,
    return_to_draft,
    run_blameless_check,
    save_section,
    section_refusal,
    set_visibility,
    settings_for,
    start_postmortem,
)
from incidents.postmortems.services.reminders import (
    ensure_due_drafts,
    ensure_postmortem_of,
    facilitator_of,
    on_incident_resolved,
    remind,
    send_due_reminders,
)
from incidents.postmortems.services.settings import update_settings

__all__ = [
    "ItemFields",
    "StaleActionItem",
    "StalePostmortem",
    "StaleSection",
    "acknowledge_finding",
    "add_action_item",
    "check_all_verifications",
    "check_verification",
    "ensure_due_drafts",
    "ensure_postmortem",
    "ensure_postmortem_of",
    "facilitator_of",
    "mark_done",
    "on_incident_resolved",
    "publish_postmortem",
    "publish_refusal",
    "remind",
    "reopen_by_hand",
    "request_review",
    "return_to_draft",
    "run_blameless_check",
    "save_section",
    "section_refusal",
    "send_due_reminders",
    "set_status",
    "set_visibility",
    "settings_for",
    "start_postmortem",
    "update_action_item",
    "update_settings",
    "window_counts",
]
