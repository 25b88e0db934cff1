"""The war room: one incident's page and every action taken from it.

The page is made of regions (partials of ``incidents/detail.html`` named after their ids:
``room-header``, ``room-timeline``, ``room-roles``, ``room-runbooks``, ``room-cooldowns``,
``room-reports``, ``room-metrics``). Every control names the region it changes in its own
``hx-target``; the action answers with exactly that region, plus out-of-band copies of the few
others the change touches (the header, the timeline, the message line and the version fields of
the forms outside the regions). A poller asks for every region out of band every few seconds.
Without JavaScript every action redirects back to the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.access import CommunityAccess, access_for_user
from community.http import AuthedHttpRequest
from community.services import ServiceError
from incidents import services
from incidents.access import (
    get_cooldown,
    get_handoff,
    get_incident,
    get_report,
    get_role,
    get_runbook,
    get_step,
)
from incidents.forms import (
    CooldownForm,
    DetailsForm,
    ExtendForm,
    OfferForm,
    RoleForm,
)
from incidents.models import IncidentStatus, Runbook
from incidents.views.regions import (
    COOLDOWNS,
    HEADER,
    REGIONS,
    REPORTS,
    ROLES,
    RUNBOOKS,
    TEMPLATE,
    TIMELINE,
    act,
    context_for,
    posted_version,
    prompted,
    render_regions,
)


@login_required
def detail(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk)
    context = context_for(request, access, incident)
    if request.htmx:  # the poller: every region, out of band (the message line stays)
        return render_regions(request, context, target=None, also=REGIONS, message=False)
    return render(request, TEMPLATE, context)


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
    return act(
        request,
        access,
        incident,
        lambda: services.transition_incident(
            incident=incident,
            to=to,
            expected_version=posted_version(request),
            actor=_actor(request),
            reason=prompted(request, "reason"),
            # From the web, resolving needs a summary (the resolve page asks for it).
            summary=request.POST.get("summary", "") if to == "resolved" else None,
        ),
        _("The incident is now %(status)s.")
        % {"status": str(dict(IncidentStatus.choices).get(to, to)).lower()},
        target=HEADER,
        also=REGIONS,
    )


@login_required
@require_POST
def offer(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    form = OfferForm(request.POST, community=incident.community)

    def action() -> object:
        if not form.is_valid():
            raise ServiceError(_("Choose a moderator to facilitate."))
        return services.offer_facilitator(
            incident=incident,
            to=form.cleaned_data["membership"],
            expected_version=posted_version(request),
            actor=_actor(request),
        )

    return act(
        request,
        access,
        incident,
        action,
        _("Offer sent: it takes effect when they accept."),
        target=ROLES,
    )


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
        return act(
            request,
            access,
            incident,
            lambda: services.withdraw_handoff(
                handoff=handoff, expected_version=posted_version(request), actor=_actor(request)
            ),
            _("Offer withdrawn."),
            target=ROLES,
        )
    return act(
        request,
        access,
        incident,
        lambda: services.respond_to_handoff(
            handoff=handoff, user=request.user, accept=answer == "accept"
        ),
        _("You are the facilitator.") if answer == "accept" else _("Declined."),
        target=ROLES,
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
            raise ServiceError(_("Choose a role and a person."))
        return services.assign_role(
            incident=incident,
            kind=form.cleaned_data["kind"],
            membership=form.cleaned_data["membership"],
            expected_version=posted_version(request),
            actor=_actor(request),
        )

    return act(request, access, incident, action, _("Role assigned."), target=ROLES)


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
            expected_version=posted_version(request),
            actor=_actor(request),
            title=data["title"],
            severity=data["severity"],
            summary=data["summary"],
            spaces=list(data["spaces"]),
            parties=data["parties"],
        )

    return act(
        request,
        access,
        incident,
        action,
        _("Details updated."),
        target=HEADER,
        also=(TIMELINE, REPORTS, ROLES),
    )


@login_required
@require_POST
def checklist(
    request: AuthedHttpRequest, slug: str, pk: int, role_id: int, index: int
) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    role = get_role(access, incident, role_id)
    return act(
        request,
        access,
        incident,
        lambda: services.tick_checklist_item(role=role, index=index, actor=_actor(request)),
        "",
        target=ROLES,
    )


@login_required
@require_POST
def note(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    return act(
        request,
        access,
        incident,
        lambda: services.add_note(
            incident=incident, text=request.POST.get("text", ""), actor=_actor(request)
        ),
        _("Update posted."),
        target=TIMELINE,
        also=(HEADER, "room-update"),
    )


@login_required
@require_POST
def runbook_start(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    runbook = _chosen_runbook(access, request.POST.get("runbook", ""))

    def action() -> object:
        if runbook is None:
            raise ServiceError(_("Choose a runbook of this community."))
        return services.start_runbook(
            incident=incident,
            runbook=runbook,
            expected_version=posted_version(request),
            actor=_actor(request),
        )

    return act(
        request,
        access,
        incident,
        action,
        _("Runbook started."),
        target=RUNBOOKS,
        also=(HEADER, TIMELINE, COOLDOWNS),
    )


@login_required
@require_POST
def step_action(
    request: AuthedHttpRequest, slug: str, pk: int, step_id: int, verb: str
) -> HttpResponse:
    if verb not in {"run", "skip", "lift", "keep"}:
        raise Http404("No such action.")
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    step = get_step(access, incident, step_id)
    version, actor = posted_version(request), _actor(request)
    action: Callable[[], object]
    if verb in {"lift", "keep"}:
        done = (
            _("Cooldown lifted.") if verb == "lift" else _("The cooldown keeps running to its end.")
        )
        action = partial(
            services.decide_lift_proposal,
            step_run=step,
            accept=verb == "lift",
            expected_version=version,
            actor=actor,
        )
    elif verb == "skip":
        done = _("Step skipped.")
        action = partial(
            services.skip_step,
            step_run=step,
            reason=prompted(request, "reason"),
            expected_version=version,
            actor=actor,
        )
    else:
        done = ""
        action = partial(
            services.run_step_now, step_run=step, expected_version=version, actor=actor
        )
    return act(
        request,
        access,
        incident,
        action,
        done,
        target=RUNBOOKS,
        also=(HEADER, TIMELINE, COOLDOWNS),
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
            expected_version=posted_version(request),
        )

    return act(request, access, incident, action, _("Cooldown started."), target=COOLDOWNS)


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
        return act(
            request,
            access,
            incident,
            lambda: services.lift_cooldown(
                cooldown=cooldown,
                reason=prompted(request, "reason"),
                actor=_actor(request),
                expected_version=posted_version(request),
            ),
            _("Cooldown lifted."),
            target=COOLDOWNS,
        )
    form = ExtendForm(request.POST)

    def action() -> object:
        if not form.is_valid():
            raise ServiceError(_("Extend by a whole number of minutes."))
        return services.extend_cooldown(
            cooldown=cooldown,
            by=timedelta(minutes=form.cleaned_data["extra_minutes"]),
            actor=_actor(request),
            expected_version=posted_version(request),
        )

    return act(request, access, incident, action, _("Cooldown extended."), target=COOLDOWNS)


@login_required
@require_POST
def report_detach(request: AuthedHttpRequest, slug: str, pk: int, report_id: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    report = get_report(access, report_id, write=True)
    if report.incident_id != incident.pk:
        raise Http404("No such report on this incident.")
    return act(
        request,
        access,
        incident,
        lambda: services.detach_report(
            report=report, expected_version=posted_version(request), actor=_actor(request)
        ),
        _("Detached: it waits on the incidents board again."),
        target=REPORTS,
    )
