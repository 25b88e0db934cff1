"""The circle page (for its participants and the moderators) and the community's open
agreements (moderators). Every POST runs one service call and answers with the ``circle``
region (htmx) or a redirect to the page; a refusal is shown in the region and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from community.access import CommunityAccess, access_for_user
from community.http import AuthedHttpRequest
from community.services import ServiceError
from incidents.postmortems.circle import forms, services
from incidents.postmortems.circle.access import (
    Seat,
    get_agreement,
    get_circle,
    get_exchange,
    get_harm,
    get_participant,
    my_seat,
    visible_agreements,
)
from incidents.postmortems.circle.board import build_board
from incidents.postmortems.circle.metrics import agreements_kept
from incidents.postmortems.models import Agreement, ObligationOf

PAGE = "circle/page.html"


def _context(
    access: CommunityAccess, seat: Seat, error: str = "", done: str = ""
) -> dict[str, object]:
    return {
        "access": access,
        "community": seat.postmortem.community,
        "postmortem": seat.postmortem,
        "incident": seat.postmortem.incident,
        "seat": seat,
        "board": build_board(seat) if seat.in_circle else None,
        "error": error,
        "done": done,
    }


def _act(
    request: AuthedHttpRequest,
    access: CommunityAccess,
    pk: int,
    action: Callable[[Seat], object],
    done: str,
    *,
    manage: bool = False,
) -> HttpResponse:
    seat = get_circle(access, pk, manage=manage)
    error = ""
    try:
        action(seat)
    except ServiceError as exc:
        error = str(exc)
    if request.htmx or error:
        # A refusal comes back with the page (or its region) and the reason, like a form.
        fresh = get_circle(access, pk)
        context = _context(access, fresh, error, "" if error else done)
        template = f"{PAGE}#circle" if request.htmx else PAGE
        return render(request, template, context, status=400 if error else 200)
    messages.success(request, done)
    return redirect("circle:page", slug=access.community.slug, pk=pk)


def _check(form: forms.forms.Form) -> dict[str, object]:
    if not form.is_valid():
        raise ServiceError(forms.first_error(form))
    return form.cleaned_data


@login_required
@require_GET
def page(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    seat = get_circle(access, pk)
    context = _context(access, seat)
    template = f"{PAGE}#circle" if request.htmx else PAGE
    return render(request, template, context)


@login_required
@require_POST
def answer(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The invited member accepts or declines."""
    accept = request.POST.get("answer") == "accept"

    def action(seat: Seat) -> object:
        if seat.me is None:
            raise ServiceError(_("There is no invitation for you in this circle."))
        if request.POST.get("answer") not in ("accept", "decline"):
            raise ServiceError(_("Choose to accept or to decline."))
        return services.answer_invitation(participant=seat.me, accept=accept)

    done = (
        _("Thank you for joining the circle.")
        if accept
        else _("You declined; nobody will ask again.")
    )
    return _act(request, access_for_user(request.user, slug), pk, action, done)


@login_required
@require_POST
def invite(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)

    def action(seat: Seat) -> object:
        form = forms.InviteForm(request.POST, members=access.community.memberships.all())
        data = _check(form)
        return services.invite_participant(
            postmortem=seat.postmortem,
            membership=data["membership"],  # type: ignore[arg-type]
            role=str(data["role"]),
            by=request.user,
        )

    return _act(request, access, pk, action, _("Invitation sent."), manage=True)


@login_required
@require_POST
def harm(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    def action(seat: Seat) -> object:
        data = _check(forms.HarmForm(request.POST))
        harmed = get_participant(seat, data["harmed"])  # type: ignore[arg-type]
        assert harmed is not None
        obligated = None
        if data["obligation_of"] == ObligationOf.PARTICIPANT:
            obligated = get_participant(seat, data["obligated"])  # type: ignore[arg-type]
        return services.record_harm(
            postmortem=seat.postmortem,
            harmed=harmed,
            harm=str(data["harm"]),
            need=str(data["need"]),
            obligation_of=str(data["obligation_of"]),
            obligated=obligated,
        )

    access = access_for_user(request.user, slug)
    return _act(request, access, pk, action, _("The harm and the need are recorded."), manage=True)


@login_required
@require_POST
def ask(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A harmed participant asks a responsible one for what would help."""

    def action(seat: Seat) -> object:
        me = my_seat(seat)
        data = _check(forms.AskForm(request.POST))
        responsible = get_participant(seat, data["responsible"])  # type: ignore[arg-type]
        assert responsible is not None
        return services.ask_for_repair(harmed=me, responsible=responsible, ask=str(data["ask"]))

    access = access_for_user(request.user, slug)
    return _act(request, access, pk, action, _("Your ask is sent."))


@login_required
@require_POST
def exchange(
    request: AuthedHttpRequest, slug: str, pk: int, exchange_id: int, verb: str
) -> HttpResponse:
    """The exchange's next step, by its own person: answer, review or confirm."""

    def action(seat: Seat) -> object:
        me = my_seat(seat)
        found = get_exchange(seat, exchange_id)
        if verb == "answer":
            data = _check(forms.AnswerForm(request.POST))
            return services.answer_repair(exchange=found, by=me, answer=str(data["answer"]))
        if verb == "review":
            data = _check(forms.ReviewForm(request.POST))
            return services.review_repair(
                exchange=found,
                by=me,
                satisfied=data["satisfied"] == "yes",
                review=str(data["review"]),
            )
        if verb == "confirm":
            return services.confirm_repair(exchange=found, by=me)
        raise ServiceError(_("That is not a step of the repair exchange."))

    access = access_for_user(request.user, slug)
    return _act(request, access, pk, action, _("Thank you; the exchange moves on."))


@login_required
@require_POST
def add_agreement(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    def action(seat: Seat) -> object:
        data = _check(forms.AgreementForm(request.POST))
        return services.add_agreement(
            postmortem=seat.postmortem,
            text=str(data["text"]),
            owner=get_participant(seat, data["owner"]),  # type: ignore[arg-type]
            due_on=data["due_on"],  # type: ignore[arg-type]
            harm=get_harm(seat, data["harm"]),  # type: ignore[arg-type]
            by=request.user,
        )

    access = access_for_user(request.user, slug)
    done = _("Agreement added; each party is asked to agree.")
    return _act(request, access, pk, action, done, manage=True)


@login_required
@require_POST
def consent(request: AuthedHttpRequest, slug: str, pk: int, agreement_id: int) -> HttpResponse:
    access = access_for_user(request.user, slug)

    def action(seat: Seat) -> object:
        me = my_seat(seat)
        found = get_agreement(access, agreement_id)
        if found.postmortem_id != seat.postmortem.pk:
            raise ServiceError(_("That agreement is not part of this circle."))
        if request.POST.get("answer") not in ("give", "refuse"):
            raise ServiceError(_("Say whether you agree."))
        return services.answer_consent(
            agreement=found, participant=me, give=request.POST.get("answer") == "give"
        )

    return _act(request, access, pk, action, _("Your answer is recorded."))


@login_required
@require_POST
def decide(request: AuthedHttpRequest, slug: str, pk: int, agreement_id: int) -> HttpResponse:
    access = access_for_user(request.user, slug)

    def action(seat: Seat) -> object:
        found = get_agreement(access, agreement_id, manage=True)
        if found.postmortem_id != seat.postmortem.pk:
            raise ServiceError(_("That agreement is not part of this circle."))
        data = _check(forms.DecideForm(request.POST))
        return services.decide_agreement(
            agreement=found,
            kept=data["outcome"] == "kept",
            note=str(data["note"]),
            by=request.user,
        )

    return _act(request, access, pk, action, _("The outcome is recorded."), manage=True)


def _facilitated_agreement(access: CommunityAccess, seat: Seat, agreement_id: int) -> Agreement:
    found = get_agreement(access, agreement_id, facilitate=True)
    if found.postmortem_id != seat.postmortem.pk:
        raise ServiceError(_("That agreement is not part of this circle."))
    return found


@login_required
@require_POST
def withdraw(request: AuthedHttpRequest, slug: str, pk: int, agreement_id: int) -> HttpResponse:
    """The facilitator (or a moderator) withdraws an open agreement, with the reason."""
    access = access_for_user(request.user, slug)

    def action(seat: Seat) -> object:
        found = _facilitated_agreement(access, seat, agreement_id)
        data = _check(forms.WithdrawForm(request.POST))
        return services.withdraw_agreement(
            agreement=found,
            reason=str(data["reason"]),
            by=request.user,
        )

    done = "The agreement is withdrawn; it stays in the record with your reason."
    return _act(request, access, pk, action, done)


@login_required
@require_POST
def revise(request: AuthedHttpRequest, slug: str, pk: int, agreement_id: int) -> HttpResponse:
    """The facilitator (or a moderator) rewrites an open agreement; every party is asked
    again."""
    access = access_for_user(request.user, slug)

    def action(seat: Seat) -> object:
        found = _facilitated_agreement(access, seat, agreement_id)
        data = _check(forms.ReviseForm(request.POST))
        return services.revise_agreement(
            agreement=found,
            text=str(data["text"]),
            owner=get_participant(seat, data["owner"]),  # type: ignore[arg-type]
            due_on=data["due_on"],  # type: ignore[arg-type]
            by=request.user,
        )

    done = "The agreement is revised; each party is asked to agree to the new wording."
    return _act(request, access, pk, action, done)


@login_required
@require_POST
def forgive(request: AuthedHttpRequest, slug: str, pk: int, participant_id: int) -> HttpResponse:
    def action(seat: Seat) -> object:
        participant = get_participant(seat, participant_id)
        assert participant is not None
        return services.forgive_participant(participant=participant, by=request.user)

    access = access_for_user(request.user, slug)
    done = _("Forgiven: the related charges no longer count, and the budget has recovered.")
    return _act(request, access, pk, action, done, manage=True)


@login_required
@require_POST
def summary(request: AuthedHttpRequest, slug: str, pk: int, verb: str) -> HttpResponse:
    """Moderators propose and publish the public summary; harmed participants approve it or
    object to it."""
    access = access_for_user(request.user, slug)
    manage = verb in ("propose", "publish")

    def action(seat: Seat) -> object:
        if verb == "propose":
            return services.propose_public_summary(postmortem=seat.postmortem)
        if verb == "publish":
            return services.publish_public_summary(postmortem=seat.postmortem, by=request.user)
        if verb == "answer":
            me = my_seat(seat)
            data = _check(forms.SummaryAnswerForm(request.POST))
            return services.answer_summary(
                postmortem=seat.postmortem,
                participant=me,
                approve=data["decision"] == "approve",
                note=str(data["note"]),
            )
        raise ServiceError(_("That is not something to do with the public summary."))

    words = {
        "propose": _("The harmed members are asked to read the summary."),
        "publish": _("The public summary is published."),
        "answer": _("Thank you; your answer is recorded."),
    }
    return _act(request, access, pk, action, words.get(verb, ""), manage=manage)


@login_required
@require_GET
def agreements(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """The community's open agreements, soonest due first (moderators)."""
    access = access_for_user(request.user, slug, moderate=True)
    rows = visible_agreements(access).open().order_by("due_on", "pk")[:500]
    context = {
        "access": access,
        "community": access.community,
        "agreements": rows,
        "figures": agreements_kept(community=access.community),
    }
    return render(request, "circle/agreements.html", context)
