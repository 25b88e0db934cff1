"""The repair exchange, one step per person: the harmed member asks for what would help, the
responsible member answers, the harmed member reviews the answer, the facilitator confirms.

Each step is taken by its own person (the participant acting is passed in, and checked): a
step out of turn or by someone else is refused and changes nothing. A review that is not
satisfied sends the exchange back to the responsible member for another answer.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.services import ServiceError
from incidents.postmortems.circle.services.participants import require_accepted
from incidents.postmortems.models import (
    ExchangeStage,
    Participant,
    ParticipantRole,
    RepairExchange,
)


def _text(value: str, refusal: str) -> str:
    value = value.strip()
    if not value:
        raise ServiceError(refusal)
    return value[:4000]


def _locked(exchange: RepairExchange, stage: str, wrong_turn: str) -> RepairExchange:
    locked = RepairExchange.objects.select_for_update().get(pk=exchange.pk)
    if locked.stage != stage:
        raise ServiceError(wrong_turn)
    return locked


def ask_for_repair(*, harmed: Participant, responsible: Participant, ask: str) -> RepairExchange:
    """The harmed member asks ``responsible`` for what would help."""
    if harmed.role != ParticipantRole.HARMED:
        raise ServiceError(_("The repair exchange is started by someone who was harmed."))
    if responsible.role != ParticipantRole.RESPONSIBLE or responsible.pk == harmed.pk:
        raise ServiceError(_("Ask someone in the circle whose words were part of what happened."))
    if responsible.postmortem_id != harmed.postmortem_id:
        raise ServiceError(_("That person is not in this circle."))
    require_accepted(harmed, "exchange")
    require_accepted(responsible, "asked")
    return RepairExchange.objects.create(
        postmortem_id=harmed.postmortem_id,
        harmed=harmed,
        responsible=responsible,
        ask=_text(ask, _("Write what would help you.")),
    )


def answer_repair(*, exchange: RepairExchange, by: Participant, answer: str) -> RepairExchange:
    """The responsible member answers the ask (again, after a review that was not satisfied)."""
    if by.pk != exchange.responsible_id:
        raise ServiceError(_("Only the person who was asked can answer."))
    text = _text(answer, _("Write your answer."))
    with transaction.atomic():
        locked = _locked(exchange, ExchangeStage.ASKED, _("This ask has been answered already."))
        locked.answer = text
        locked.answered_at = timezone.now()
        locked.stage = ExchangeStage.ANSWERED
        locked.save(update_fields=["answer", "answered_at", "stage"])
    return locked


def review_repair(
    *, exchange: RepairExchange, by: Participant, satisfied: bool, review: str
) -> RepairExchange:
    """The harmed member reviews the answer: satisfied (the facilitator may confirm) or not
    (the responsible member is asked to answer again)."""
    if by.pk != exchange.harmed_id:
        raise ServiceError(_("Only the person who asked can review the answer."))
    review = review.strip()
    if not satisfied and not review:
        raise ServiceError(_("Say what is still missing, so the answer can meet it."))
    with transaction.atomic():
        locked = _locked(
            exchange, ExchangeStage.ANSWERED, _("There is no new answer to review yet.")
        )
        locked.review = review[:4000]
        locked.review_satisfied = satisfied
        locked.reviewed_at = timezone.now()
        locked.stage = ExchangeStage.REVIEWED if satisfied else ExchangeStage.ASKED
        locked.save(update_fields=["review", "review_satisfied", "reviewed_at", "stage"])
    return locked


def confirm_repair(*, exchange: RepairExchange, by: Participant) -> RepairExchange:
    """The facilitator confirms an exchange the harmed member was satisfied with."""
    if by.role != ParticipantRole.FACILITATOR or by.postmortem_id != exchange.postmortem_id:
        raise ServiceError(_("The circle's facilitator confirms the exchange."))
    require_accepted(by, "facilitator")
    with transaction.atomic():
        locked = _locked(
            exchange,
            ExchangeStage.REVIEWED,
            _("The exchange can be confirmed once the harmed member is satisfied with the answer."),
        )
        locked.confirmed_by = by
        locked.confirmed_at = timezone.now()
        locked.stage = ExchangeStage.CONFIRMED
        locked.save(update_fields=["confirmed_by", "confirmed_at", "stage"])
    return locked
