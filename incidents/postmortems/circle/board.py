"""What the circle page shows, as one reader sees it: a read model shared by the page and its
partials (never computed in a view or a template)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from community.models import Membership, Role
from incidents.postmortems.circle.access import Seat
from incidents.postmortems.circle.metrics import agreements_kept
from incidents.postmortems.circle.services import (
    current_approvals,
    forgiveness_refusal,
    publish_refusal,
    related_charges,
)
from incidents.postmortems.models import (
    Agreement,
    AgreementConsent,
    AgreementStatus,
    CircleForgiveness,
    Consent,
    ConsentAnswer,
    ExchangeStage,
    Harm,
    Participant,
    ParticipantRole,
    PostmortemSection,
    RepairExchange,
    SummaryDecision,
)
from incidents.postmortems.sections import PUBLIC_SECTION

INVITE_LIST_LIMIT = 300
MODERATING_ROLES = (Role.MODERATOR, Role.ADMIN)

CONSENT_WORDS = {
    Consent.INVITED: "invited, not answered yet",
    Consent.ACCEPTED: "taking part",
    Consent.DECLINED: "declined",
}


def _name(p: Participant | None) -> str:
    return p.membership.display_name if p is not None else "the facilitator"


def exchange_words(x: RepairExchange) -> str:
    """Where the exchange stands, and whose turn it is, in a sentence."""
    if x.stage == ExchangeStage.ASKED:
        if x.review_satisfied is False:
            return (
                f"{_name(x.harmed)} asked for more; waiting for {_name(x.responsible)}'s "
                "new answer."
            )
        return f"Waiting for {_name(x.responsible)}'s answer."
    if x.stage == ExchangeStage.ANSWERED:
        return f"Waiting for {_name(x.harmed)} to read the answer."
    if x.stage == ExchangeStage.REVIEWED:
        return f"{_name(x.harmed)} is satisfied; waiting for the facilitator to confirm."
    return f"Confirmed by {_name(x.confirmed_by)}."


@dataclass
class ExchangeRow:
    exchange: RepairExchange
    words: str
    my_step: str  # "answer", "review", "confirm" or ""


@dataclass
class AgreementRow:
    agreement: Agreement
    consents: list[AgreementConsent]
    my_consent: AgreementConsent | None
    all_agreed: bool  # in effect: every party agreed

    @property
    def refused_by(self) -> list[str]:
        return [
            c.participant.membership.display_name
            for c in self.consents
            if c.answer == ConsentAnswer.REFUSED
        ]

    @property
    def waiting_for(self) -> list[str]:
        return [
            c.participant.membership.display_name
            for c in self.consents
            if c.answer == ConsentAnswer.PENDING
        ]


@dataclass
class ResponsibleRow:
    participant: Participant
    forgiven: CircleForgiveness | None
    refusal: str | None
    charges: int  # related charges that still count (moderators only)


@dataclass
class CircleBoard:
    seat: Seat
    participants: list[Participant] = field(default_factory=list)
    harms: list[Harm] = field(default_factory=list)
    exchanges: list[ExchangeRow] = field(default_factory=list)
    agreements: list[AgreementRow] = field(default_factory=list)
    responsible: list[ResponsibleRow] = field(default_factory=list)
    summary_body: str = ""
    summary_version: int = 0
    summary_answers: list[Any] = field(default_factory=list)
    my_summary_answer: Any = None
    summary_refusal: str | None = None
    invitable: list[Membership] = field(default_factory=list)
    kept_percent: int | None = None
    # Withdraws and revises open agreements: a moderator, or the circle's facilitator.
    facilitates: bool = False

    @property
    def accepted(self) -> list[Participant]:
        return [p for p in self.participants if p.consent == Consent.ACCEPTED]

    def accepted_in(self, role: str) -> list[Participant]:
        return [p for p in self.accepted if p.role == role]

    @property
    def accepted_harmed(self) -> list[Participant]:
        return self.accepted_in(ParticipantRole.HARMED)

    @property
    def accepted_responsible(self) -> list[Participant]:
        return self.accepted_in(ParticipantRole.RESPONSIBLE)

    @property
    def i_am_harmed(self) -> bool:
        me = self.seat.me
        return (
            me is not None and me.consent == Consent.ACCEPTED and me.role == ParticipantRole.HARMED
        )


def _my_step(x: RepairExchange, me: Participant | None) -> str:
    if me is None or me.consent != Consent.ACCEPTED:
        return ""
    if x.stage == ExchangeStage.ASKED and me.pk == x.responsible_id:
        return "answer"
    if x.stage == ExchangeStage.ANSWERED and me.pk == x.harmed_id:
        return "review"
    if x.stage == ExchangeStage.REVIEWED and me.role == ParticipantRole.FACILITATOR:
        return "confirm"
    return ""


def build_board(seat: Seat) -> CircleBoard:
    """The whole circle for a reader who sees its work (``seat.in_circle``)."""
    doc = seat.postmortem
    board = CircleBoard(seat=seat)
    me = seat.me
    board.facilitates = seat.manages or (
        me is not None and me.consent == Consent.ACCEPTED and me.role == ParticipantRole.FACILITATOR
    )
    board.participants = list(
        Participant.objects.filter(postmortem=doc).select_related("membership")
    )
    if not seat.sees_all:
        # A participant sees who takes part, not who was asked and said no.
        board.participants = [p for p in board.participants if p.consent == Consent.ACCEPTED]
    by_id = {
        p.pk: p for p in Participant.objects.filter(postmortem=doc).select_related("membership")
    }
    board.harms = list(
        Harm.objects.filter(postmortem=doc).select_related(
            "harmed__membership", "obligated__membership"
        )
    )
    for x in RepairExchange.objects.filter(postmortem=doc).order_by("asked_at", "pk"):
        x.harmed = by_id[x.harmed_id]
        x.responsible = by_id[x.responsible_id]
        x.confirmed_by = by_id.get(x.confirmed_by_id) if x.confirmed_by_id else None
        board.exchanges.append(ExchangeRow(x, exchange_words(x), _my_step(x, seat.me)))
    consents: dict[int, list[AgreementConsent]] = {}
    for c in AgreementConsent.objects.filter(agreement__postmortem=doc).order_by("pk"):
        c.participant = by_id[c.participant_id]
        consents.setdefault(c.agreement_id, []).append(c)
    for a in Agreement.objects.filter(postmortem=doc).order_by("due_on", "pk"):
        a.owner = by_id[a.owner_id]
        rows = consents.get(a.pk, [])
        mine = next(
            (c for c in rows if seat.me is not None and c.participant_id == seat.me.pk), None
        )
        board.agreements.append(
            AgreementRow(a, rows, mine, all(c.answer == ConsentAnswer.GIVEN for c in rows))
        )
    forgiven = {f.participant_id: f for f in CircleForgiveness.objects.filter(postmortem=doc)}
    for p in board.accepted_responsible:
        refusal = forgiveness_refusal(p)
        charges = len(related_charges(p)) if seat.sees_all else 0
        if refusal is None and charges == 0:
            refusal = "no charges from this incident still count; there is nothing to forgive."
        board.responsible.append(
            ResponsibleRow(
                participant=p, forgiven=forgiven.get(p.pk), refusal=refusal, charges=charges
            )
        )
    section = PostmortemSection.objects.filter(postmortem=doc, key=PUBLIC_SECTION).first()
    if section is not None:
        board.summary_body = section.body
        board.summary_version = section.version
    board.summary_answers = current_approvals(doc)
    if seat.me is not None:
        board.my_summary_answer = next(
            (a for a in board.summary_answers if a.participant_id == seat.me.pk), None
        )
    board.summary_refusal = publish_refusal(doc)
    if seat.manages:
        asked = {p.membership_id for p in by_id.values()}
        members = doc.community.memberships.order_by("display_name")
        if members.count() > INVITE_LIST_LIMIT:
            # A large community: offer the incident's parties and the moderators.
            members = members.filter(
                Q(pk__in=doc.incident.parties.values("pk")) | Q(role__in=MODERATING_ROLES)
            )
        board.invitable = [m for m in members if m.pk not in asked]
        board.kept_percent = agreements_kept(community=doc.community).kept_percent
    return board


def decision_words(decision: str) -> str:
    return str(SummaryDecision(decision).label)


def is_open(a: Agreement) -> bool:
    return a.status == AgreementStatus.OPEN
