"""Agreements: what a participant agrees to do, by when, with each party's consent, and whether
it was kept. Reminders go to the owner, kindly, as the due date comes near and until a
moderator records the outcome.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from community.language import language_for_membership
from community.models import NotificationKind
from community.notifications import notify
from community.services import ServiceError
from incidents.postmortems import timeline
from incidents.postmortems.circle.services.participants import circle_link, require_accepted
from incidents.postmortems.models import (
    Agreement,
    AgreementConsent,
    AgreementStatus,
    ConsentAnswer,
    Harm,
    Participant,
    Postmortem,
)

# Reminders start this many days before the due date and repeat at this interval.
REMIND_BEFORE = timedelta(days=2)
REMIND_EVERY = timedelta(hours=24)


def _person(by: User | None) -> User | None:
    return by if by is not None and by.is_authenticated else None


def _checked(
    *,
    postmortem: Postmortem,
    text: str,
    owner: Participant | None,
    due_on: date | None,
    harm: Harm | None,
) -> str:
    """The agreement's words, once what an agreement needs is there (refused otherwise)."""
    text = text.strip()
    if not text:
        raise ServiceError(_("Write what is agreed."))
    if owner is None:
        raise ServiceError(_("An agreement needs an owner: the participant who will do it."))
    if due_on is None:
        raise ServiceError(_("An agreement needs a due date."))
    if due_on < timezone.localdate():
        raise ServiceError(_("The due date has already passed; choose today or a later day."))
    if owner.postmortem_id != postmortem.pk:
        raise ServiceError(_("That person is not in this circle."))
    require_accepted(owner, "agreement")
    if harm is not None and harm.postmortem_id != postmortem.pk:
        raise ServiceError(_("That harm is not part of this circle."))
    return text


def _create(
    *,
    postmortem: Postmortem,
    text: str,
    owner: Participant,
    due_on: date,
    harm: Harm | None,
    by: User | None,
    revises: Agreement | None = None,
) -> Agreement:
    """The agreement and a pending consent for each party: its owner and every participant
    who accepted."""
    agreement = Agreement.objects.create(
        postmortem=postmortem,
        text=text[:4000],
        owner=owner,
        harm=harm,
        due_on=due_on,
        created_by=_person(by),
        revises=revises,
    )
    seen: set[int] = set()
    for party in [owner, *postmortem.participants.accepted().order_by("pk")]:
        if party.pk in seen:
            continue
        seen.add(party.pk)
        AgreementConsent.objects.create(agreement=agreement, participant=party)
    return agreement


def add_agreement(
    *,
    postmortem: Postmortem,
    text: str,
    owner: Participant | None,
    due_on: date | None,
    harm: Harm | None = None,
    by: User | None,
) -> Agreement:
    """An agreement of ``owner`` (a participant who accepted) due on ``due_on``. Every
    participant who accepted is a party asked for consent (harmed, responsible, supporters and
    the facilitator alike); it is in effect once every party has agreed."""
    text = _checked(postmortem=postmortem, text=text, owner=owner, due_on=due_on, harm=harm)
    assert owner is not None and due_on is not None
    with transaction.atomic():
        return _create(
            postmortem=postmortem, text=text, owner=owner, due_on=due_on, harm=harm, by=by
        )


def _lock_open(agreement: Agreement, *, revising: bool) -> Agreement:
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.status != AgreementStatus.OPEN:
        status = locked.get_status_display().lower()
        if revising:
            refusal = _("This agreement was already marked %(status)s, so it cannot be revised.")
        else:
            refusal = _("This agreement was already marked %(status)s, so it cannot be withdrawn.")
        raise ServiceError(refusal % {"status": status})
    return locked


def _withdraw(locked: Agreement, note: str, by: User | None) -> None:
    locked.status = AgreementStatus.WITHDRAWN
    locked.decided_at = timezone.now()
    locked.decided_by = _person(by)
    locked.decision_note = note[:2000]
    locked.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])


def withdraw_agreement(*, agreement: Agreement, reason: str, by: User | None) -> Agreement:
    """The facilitator (or a moderator) withdraws an open agreement, for example one a party
    did not agree to: it stays in the circle's record, withdrawn with its reason, and no
    longer holds forgiveness back. A decided agreement is final."""
    reason = reason.strip()
    if not reason:
        raise ServiceError(_("Say why the agreement is withdrawn; the circle reads it."))
    with transaction.atomic():
        locked = _lock_open(agreement, revising=False)
        _withdraw(locked, reason, by)
    return locked


def revise_agreement(
    *,
    agreement: Agreement,
    text: str,
    owner: Participant | None,
    due_on: date | None,
    by: User | None,
) -> Agreement:
    """The facilitator (or a moderator) rewrites an open agreement: the new wording is a new
    agreement that every party is asked about again (nobody's earlier answer carries over),
    and the earlier one stays in the record, withdrawn, pointing at it. Returns the new one."""
    postmortem = agreement.postmortem
    text = _checked(
        postmortem=postmortem, text=text, owner=owner, due_on=due_on, harm=agreement.harm
    )
    assert owner is not None and due_on is not None
    with transaction.atomic():
        locked = _lock_open(agreement, revising=True)
        if locked.text == text and locked.owner_id == owner.pk and locked.due_on == due_on:
            raise ServiceError(
                _("Nothing changed: change the words, the owner or the due date to revise it.")
            )
        _withdraw(locked, "Revised: the parties were asked about the new wording.", by)
        return _create(
            postmortem=postmortem,
            text=text,
            owner=owner,
            due_on=due_on,
            harm=locked.harm,
            by=by,
            revises=locked,
        )


def answer_consent(
    *, agreement: Agreement, participant: Participant, give: bool
) -> AgreementConsent:
    """A party gives or refuses their consent to an open agreement."""
    with transaction.atomic():
        # The agreement's row, locked: a decision and a change of consent never cross.
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        consent = AgreementConsent.objects.filter(agreement=locked, participant=participant).first()
        if consent is None:
            raise ServiceError(_("You are not a party to this agreement."))
        if locked.status != AgreementStatus.OPEN:
            raise ServiceError(_("This agreement has been decided; consent can no longer change."))
        consent.answer = ConsentAnswer.GIVEN if give else ConsentAnswer.REFUSED
        consent.answered_at = timezone.now()
        consent.save(update_fields=["answer", "answered_at"])
    return consent


def decide_agreement(
    *, agreement: Agreement, kept: bool, note: str = "", by: User | None
) -> Agreement:
    """A moderator records whether an open agreement was kept. Kept needs every party's
    consent first (an agreement somebody did not agree to is not one to keep)."""
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.status != AgreementStatus.OPEN:
            raise ServiceError(
                _("This agreement was already marked %(status)s.")
                % {"status": locked.get_status_display().lower()}
            )
        if kept:
            others = list(
                locked.consents.exclude(answer=ConsentAnswer.GIVEN)
                .select_related("participant__membership")
                .order_by("pk")
            )
            refused = [
                c.participant.membership.display_name
                for c in others
                if c.answer == ConsentAnswer.REFUSED
            ]
            waiting = [
                c.participant.membership.display_name
                for c in others
                if c.answer == ConsentAnswer.PENDING
            ]
            if refused:
                raise ServiceError(
                    _(
                        "%(names)s did not agree, so this agreement never took effect and cannot "
                        "be marked kept. Talk it over and write one everyone can agree to."
                    )
                    % {"names": ", ".join(refused)}
                )
            if waiting:
                raise ServiceError(
                    _(
                        "Every party has to agree before it can be marked kept; still waiting "
                        "for %(names)s."
                    )
                    % {"names": ", ".join(waiting)}
                )
        locked.status = AgreementStatus.KEPT if kept else AgreementStatus.NOT_KEPT
        locked.decided_at = timezone.now()
        locked.decided_by = _person(by)
        locked.decision_note = note.strip()[:2000]
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        timeline.agreement_decided(locked.postmortem, kept=kept, by=by)
    return locked


def remind_agreements(*, now: datetime | None = None) -> int:
    """Remind owners of open agreements in effect (every party agreed) due within
    ``REMIND_BEFORE`` (or overdue), once per ``REMIND_EVERY``, until a moderator records the
    outcome. Returns the reminders sent."""
    now = now or timezone.now()
    horizon = timezone.localdate(now) + REMIND_BEFORE
    due = (
        Agreement.objects.open()
        .filter(due_on__lte=horizon)
        # Only agreements in effect: every party agreed (one still waiting is not yet made).
        .exclude(consents__answer__in=(ConsentAnswer.PENDING, ConsentAnswer.REFUSED))
        .select_related("owner__membership", "postmortem__community")
        .order_by("pk")
    )
    sent = 0
    for agreement in due:
        if (
            agreement.last_reminded_at is not None
            and agreement.last_reminded_at > now - REMIND_EVERY
        ):
            continue
        with transaction.atomic():
            locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
            if locked.status != AgreementStatus.OPEN:
                continue
            if locked.last_reminded_at is not None and locked.last_reminded_at > now - REMIND_EVERY:
                continue
            overdue = locked.due_on < timezone.localdate(now)
            owner = agreement.owner.membership
            with translation.override(language_for_membership(owner)):
                when = date_format(locked.due_on, _("j F"))
                agreed = _("In the circle you agreed to: “%(text)s”.") % {"text": locked.text[:200]}
                due_words = (
                    _("It was due on %(day)s.") if overdue else _("It is due on %(day)s.")
                ) % {"day": when}
                notify(
                    community=agreement.postmortem.community,
                    recipients=[owner],
                    kind=NotificationKind.AGREEMENT_DUE,
                    title=_("An agreement you made is past its due date")
                    if overdue
                    else _("An agreement you made is due soon"),
                    body=" ".join(
                        (
                            agreed,
                            due_words,
                            _(
                                "If something makes it hard, tell the facilitator: agreements "
                                "can be talked over."
                            ),
                        )
                    ),
                    link=circle_link(agreement.postmortem),
                    key=f"agreement-due:{locked.pk}:{now:%Y%m%d}",
                )
            locked.last_reminded_at = now
            locked.save(update_fields=["last_reminded_at"])
            sent += 1
    return sent


def agreements_of(participant: Participant) -> list[Agreement]:
    """A participant's agreements that count (a withdrawn one is history)."""
    return list(
        Agreement.objects.filter(owner=participant)
        .exclude(status=AgreementStatus.WITHDRAWN)
        .order_by("due_on", "pk")
    )
