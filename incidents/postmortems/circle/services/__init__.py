"""State changes of the circle. Pages, the API and the tasks all call these."""

from __future__ import annotations

from incidents.postmortems.circle.services.agreements import (
    add_agreement,
    answer_consent,
    decide_agreement,
    remind_agreements,
    revise_agreement,
    withdraw_agreement,
)
from incidents.postmortems.circle.services.exchange import (
    answer_repair,
    ask_for_repair,
    confirm_repair,
    review_repair,
)
from incidents.postmortems.circle.services.forgiveness import (
    forgive_participant,
    forgiveness_refusal,
    related_charges,
)
from incidents.postmortems.circle.services.participants import (
    answer_invitation,
    circle_link,
    invite_participant,
    record_harm,
    require_accepted,
)
from incidents.postmortems.circle.services.summary import (
    answer_summary,
    current_approvals,
    propose_public_summary,
    publish_due_summaries,
    publish_public_summary,
    publish_refusal,
)

__all__ = [
    "add_agreement",
    "answer_consent",
    "answer_invitation",
    "answer_repair",
    "answer_summary",
    "ask_for_repair",
    "circle_link",
    "confirm_repair",
    "current_approvals",
    "decide_agreement",
    "forgive_participant",
    "forgiveness_refusal",
    "invite_participant",
    "propose_public_summary",
    "publish_due_summaries",
    "publish_public_summary",
    "publish_refusal",
    "record_harm",
    "related_charges",
    "remind_agreements",
    "require_accepted",
    "review_repair",
    "revise_agreement",
    "withdraw_agreement",
]
