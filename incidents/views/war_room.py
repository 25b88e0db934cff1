"""The war room: one incident's page, its live region (htmx polling) and every action taken
from it. Each action calls one service and answers with the refreshed war room (htmx) or a
redirect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from community.access import CommunityAccess, access_for_user
from community.http import AuthedHttpRequest, HtmxHttpRequest
from community.services import ServiceError
from incidents import services
from incidents.access import (
    get_cooldown,
    get_handoff,
    get_incident,
    get_role,
    get_runbook,
    get_step,
)
from incidents.forms import (
    CooldownForm,
    DetailsForm,
    ExtendForm,
    NoteForm,
    OfferForm,
    RoleForm,
)
from incidents.models import Incident, Runbook
from incidents.war_room import war_room

POLL_SECONDS = 3


def _version(request: HtmxHttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _prompt(request: HtmxHttpRequest, field: str) -> str:
    """Free text given through ``hx-prompt`` (htmx) or a form field (no JavaScript)."""
    return (request.htmx.prompt if request.htmx else None) or request.POST.get(field, "")


def _context(
    request: HtmxHttpRequest, access: CommunityAccess, incident: Incident, error: str = ""
) -> dict[str, Any]:
    """The page's context: the war room's data (``incidents.war_room``) and its forms."""
    room = war_room(incident)
    incident = room.incident
    community = incident.community
    return {
        "access": access,
        "community": community,
        "incident": incident,
        "roles": room.roles,
        "offer": room.offer,
        "runs": room.runs,
        "runbooks": room.runbooks,
        "cooldowns": room.cooldowns,
        "timeline": room.timeline,
        "metric_rows": room.metric_rows,
        "version_ids": ("v-offer", "v-role", "v-cooldown", "v-details"),
        "now": timezone.now(),
        "error": error,
        "poll_seconds": POLL_SECONDS,
        "offer_form": OfferForm(community=community, auto_id="offer_%s"),
        "role_form": RoleForm(community=community, people=room.people, auto_id="role_%s"),
        "cooldown_form": CooldownForm(
            community=community, initial={"space": incident.spaces.first()}, auto_id="cd_%s"
        ),
        "note_form": NoteForm(auto_id="note_%s"),
        "details_form": DetailsForm(
            community=community,
            auto_id="details_%s",
            initial={
                "title": incident.title,
                "severity": incident.severity,
                "summary": incident.summary,
                "spaces": list(incident.spaces.all()),
                "parties": ", ".join(p.display_name for p in incident.parties.all()),
            },
        ),
        "me": request.user,
    }


@login_required
def detail(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk)
    context = _context(request, access, incident)
    if request.htmx:
        context["polled"] = True
        return render(request, "incidents/detail.html#live", context)
    return render(request, "incidents/detail.html", context)


def _act(
    request: AuthedHttpRequest,
    access: CommunityAccess,
    incident: Incident,
    action: Callable[[], object],
    done: str,
) -> HttpResponse:
    """Run one service call; answer with the refreshed war room (htmx) or a redirect."""
    error = ""
    try:
        action()
    except ServiceError as exc:
        error = str(exc)
    if request.htmx:
        return render(
            request, "incidents/detail.html#war-room", _context(request, access, incident, error)
        )
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect(incident)


def _chosen_runbook(access: CommunityAccess, raw: str) -> Runbook | None:
    """The runbook a form names, if it is one of the community's (None otherwise)."""
    try:
        return get_runbook(access, int(raw)) if raw.isdigit() else None
    except Http404:
        return None


def _actor(request: AuthedHttpRequest) -> services.Actor:
    return services.Actor.person(request.user)


@login_required
@require_POST
def transition(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    to = request.POST.get("to", "")
    return _act(
        request,
        access,
        incident,
        lambda: services.transition_incident(
            incident=incident,
            to=to,
            expected_version=_version(request),
            actor=_actor(request),
            reason=_prompt(request, "reason"),
            # From the web, resolving needs a summary (the resolve page asks for it).
            summary=request.POST.get("summary", "") if to == "resolved" else None,
        ),
        f"The incident is now {to}.",
    )


@login_required
@require_POST
def offer(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    form = OfferForm(request.POST, community=incident.community)

    def action() -> object:
        if not form.is_valid():
            raise ServiceError("Choose a moderator to facilitate.")
        return services.offer_facilitator(
            incident=incident,
            to=form.cleaned_data["membership"],
            expected_version=_version(request),
            actor=_actor(request),
        )

    return _act(request, access, incident, action, "Offer sent: it takes effect when they accept.")


@login_required
@require_POST
def handoff_respond(
    request: AuthedHttpRequest, slug: str, pk: int, handoff_id: int, answer: str
) -> HttpResponse:
    if answer not in {"accept", "decline", "withdraw"}:
        raise Http404("No such answer.")
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk)
    handoff = get_handoff(access, incident, handoff_id)
    if answer == "withdraw":
        return _act(
            request,
            access,
            incident,
            lambda: services.withdraw_handoff(
                handoff=handoff, expected_version=_version(request), actor=_actor(request)
            ),
            "Offer withdrawn.",
        )
    return _act(
        request,
        access,
        incident,
        lambda: services.respond_to_handoff(
            handoff=handoff, user=request.user, accept=answer == "accept"
        ),
        "You are the facilitator." if answer == "accept" else "Declined.",
    )


@login_required
@require_POST
def role(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    form = RoleForm(
        request.POST,
        community=incident.community,
        people=incident.community.memberships.all(),
    )

    def action() -> object:
        if not form.is_valid():
            raise ServiceError("Choose a role and a person.")
        return services.assign_role(
            incident=incident,
            kind=form.cleaned_data["kind"],
            membership=form.cleaned_data["membership"],
            expected_version=_version(request),
            actor=_actor(request),
        )

    return _act(request, access, incident, action, "Role assigned.")


@login_required
@require_POST
def details(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    form = DetailsForm(request.POST, community=incident.community)

    def action() -> object:
        if not form.is_valid():
            raise ServiceError(" ".join(str(e) for errors in form.errors.values() for e in errors))
        data = form.cleaned_data
        return services.update_incident(
            incident=incident,
            expected_version=_version(request),
            actor=_actor(request),
            title=data["title"],
            severity=data["severity"],
            summary=data["summary"],
            spaces=list(data["spaces"]),
            parties=data["parties"],
        )

    return _act(request, access, incident, action, "Details updated.")


@login_required
@require_POST
def checklist(
    request: AuthedHttpRequest, slug: str, pk: int, role_id: int, index: int
) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    role = get_role(access, incident, role_id)
    return _act(
        request,
        access,
        incident,
        lambda: services.tick_checklist_item(role=role, index=index, actor=_actor(request)),
        "",
    )


@login_required
@require_POST
def note(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    return _act(
        request,
        access,
        incident,
        lambda: services.add_note(
            incident=incident, text=request.POST.get("text", ""), actor=_actor(request)
        ),
        "Note added.",
    )


@login_required
@require_POST
def runbook_start(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    runbook = _chosen_runbook(access, request.POST.get("runbook", ""))

    def action() -> object:
        if runbook is None:
            raise ServiceError("Choose a runbook of this community.")
        return services.start_runbook(
            incident=incident,
            runbook=runbook,
            expected_version=_version(request),
            actor=_actor(request),
        )

    return _act(request, access, incident, action, "Runbook started.")


@login_required
@require_POST
def step_action(
    request: AuthedHttpRequest, slug: str, pk: int, step_id: int, verb: str
) -> HttpResponse:
    if verb not in {"run", "skip"}:
        raise Http404("No such action.")
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    step = get_step(access, incident, step_id)
    if verb == "skip":
        return _act(
            request,
            access,
            incident,
            lambda: services.skip_step(
                step_run=step,
                reason=_prompt(request, "reason"),
                expected_version=_version(request),
                actor=_actor(request),
            ),
            "Step skipped.",
        )
    return _act(
        request,
        access,
        incident,
        lambda: services.run_step_now(
            step_run=step, expected_version=_version(request), actor=_actor(request)
        ),
        "",
    )


@login_required
@require_POST
def cooldown_start(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    form = CooldownForm(request.POST, community=incident.community)

    def action() -> object:
        if not form.is_valid():
            raise ServiceError(
                "Check the cooldown: "
                + "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
            )
        data = form.cleaned_data
        return services.start_cooldown(
            community=incident.community,
            space=data["space"],
            mode=data["mode"],
            slow_mode_seconds=data["slow_mode_seconds"],
            ends_at=timezone.now() + timedelta(minutes=data["duration_minutes"]),
            actor=_actor(request),
            incident=incident,
            expected_version=_version(request),
        )

    return _act(request, access, incident, action, "Cooldown started.")


@login_required
@require_POST
def cooldown_action(
    request: AuthedHttpRequest, slug: str, pk: int, cooldown_id: int, verb: str
) -> HttpResponse:
    if verb not in {"extend", "lift"}:
        raise Http404("No such action.")
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    cooldown = get_cooldown(access, cooldown_id, incident=incident, write=True)
    if verb == "lift":
        return _act(
            request,
            access,
            incident,
            lambda: services.lift_cooldown(
                cooldown=cooldown,
                reason=_prompt(request, "reason"),
                actor=_actor(request),
                expected_version=_version(request),
            ),
            "Cooldown lifted.",
        )
    form = ExtendForm(request.POST)

    def action() -> object:
        if not form.is_valid():
            raise ServiceError("Extend by a whole number of minutes.")
        return services.extend_cooldown(
            cooldown=cooldown,
            by=timedelta(minutes=form.cleaned_data["extra_minutes"]),
            actor=_actor(request),
            expected_version=_version(request),
        )

    return _act(request, access, incident, action, "Cooldown extended.")
