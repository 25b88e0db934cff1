"""Pages: the incidents board, the war room (with htmx partials), metrics, runbooks and the
community status page. Views are thin: check access, call one service, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from community.access import get_community_for_user
from community.http import AuthedHttpRequest, HtmxHttpRequest
from community.models import Community, Membership
from community.services import ServiceError
from incidents import rules, services
from incidents.access import (
    get_cooldown_for_user,
    get_handoff_for_user,
    get_incident_for_user,
    get_report_for_user,
    get_runbook_for_user,
    get_step_for_user,
)
from incidents.forms import (
    CooldownForm,
    DeclareForm,
    DetailsForm,
    ExtendForm,
    NoteForm,
    OfferForm,
    ReportForm,
    RoleForm,
    RunbookForm,
    StepForm,
)
from incidents.models import (
    Cooldown,
    HandoffStatus,
    Incident,
    IncidentReport,
    Runbook,
    RunbookRun,
    RunbookStep,
    StepRun,
)

POLL_SECONDS = 3


def _version(request: HtmxHttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _prompt(request: HtmxHttpRequest, field: str) -> str:
    """Free text given through ``hx-prompt`` (htmx) or a form field (no JavaScript)."""
    return (request.htmx.prompt if request.htmx else None) or request.POST.get(field, "")


# --- Board ----------------------------------------------------------------------------------


@login_required
def board(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = get_community_for_user(request.user, slug, moderate=True)
    community = access.community
    form = DeclareForm(request.POST or None, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.declare_incident(
                community=community,
                title=form.cleaned_data["title"],
                severity=form.cleaned_data["severity"],
                spaces=list(form.cleaned_data["spaces"]),
                summary=form.cleaned_data["summary"],
                actor=services.Actor.person(request.user),
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Incident declared. Next: a facilitator.")
            return redirect(incident)
    incidents = Incident.objects.for_community(community).prefetch_related("spaces")
    return render(
        request,
        "incidents/board.html",
        {
            "access": access,
            "community": community,
            "form": form,
            "open": [i for i in incidents if i.is_open],
            "recent": [i for i in incidents if not i.is_open][:20],
            "reports": IncidentReport.objects.open()
            .filter(community=community)
            .select_related("space", "reporter"),
            "cooldowns": Cooldown.objects.active()
            .filter(community=community)
            .select_related("space", "incident"),
        },
    )


@login_required
@require_POST
def report_declare(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    _access, report = get_report_for_user(request.user, slug, pk)
    try:
        incident = services.declare_from_report(
            report=report, actor=services.Actor.person(request.user)
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("incidents:board", slug=slug)
    return redirect(incident)


@login_required
@require_POST
def report_dismiss(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    _access, report = get_report_for_user(request.user, slug, pk)
    try:
        services.dismiss_report(report=report, actor=services.Actor.person(request.user))
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, "Report dismissed.")
    return redirect("incidents:board", slug=slug)


# --- War room -------------------------------------------------------------------------------


def _war_room_context(
    request: HtmxHttpRequest, incident: Incident, error: str = ""
) -> dict[str, Any]:
    community = incident.community
    incident = (
        Incident.objects.select_related("community")
        .prefetch_related("spaces", "parties")
        .get(pk=incident.pk)
    )
    roles = list(incident.roles.active().select_related("membership"))
    runs = list(
        RunbookRun.objects.filter(incident=incident)
        .select_related("runbook")
        .prefetch_related(Prefetch("steps", queryset=StepRun.objects.order_by("position")))
    )
    used = {run.runbook_id for run in runs}
    people = Membership.objects.filter(community=community).filter(
        pk__in=[p.pk for p in incident.parties.all()]
    ) | Membership.objects.moderators().filter(community=community)
    now = timezone.now()
    return {
        "access": get_community_for_user(request.user, community.slug),
        "community": community,
        "incident": incident,
        "roles": roles,
        "offer": incident.handoffs.filter(status=HandoffStatus.OFFERED)
        .select_related("to_membership")
        .first(),
        "runs": runs,
        "runbooks": [
            rb for rb in Runbook.objects.active().filter(community=community) if rb.pk not in used
        ],
        "cooldowns": list(incident.cooldowns.select_related("space").order_by("-starts_at")),
        "timeline": list(incident.timeline.select_related("author")),
        "metric_rows": _metric_rows(services.incident_metrics(incident)),
        "version_ids": ("v-offer", "v-role", "v-cooldown", "v-details"),
        "now": now,
        "error": error,
        "poll_seconds": POLL_SECONDS,
        "offer_form": OfferForm(community=community, auto_id="offer_%s"),
        "role_form": RoleForm(community=community, people=people.distinct(), auto_id="role_%s"),
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


def _metric_rows(m: services.IncidentMetrics) -> list[tuple[str, str]]:
    return [
        ("Time to facilitator", rules.humanize_duration(m.to_facilitator)),
        ("Time to cooldown", rules.humanize_duration(m.to_cooldown)),
        ("Time to resolution", rules.humanize_duration(m.to_resolution)),
    ]


@login_required
def detail(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    _access, incident = get_incident_for_user(request.user, slug, pk)
    context = _war_room_context(request, incident)
    if request.htmx:
        context["polled"] = True
        return render(request, "incidents/detail.html#live", context)
    return render(request, "incidents/detail.html", context)


def _act(
    request: AuthedHttpRequest, incident: Incident, action: Callable[[], object], done: str
) -> HttpResponse:
    """Run one service call; answer with the refreshed war room (htmx) or a redirect."""
    error = ""
    try:
        action()
    except ServiceError as exc:
        error = str(exc)
    if request.htmx:
        return render(
            request, "incidents/detail.html#war-room", _war_room_context(request, incident, error)
        )
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect(incident)


def _actor(request: AuthedHttpRequest) -> services.Actor:
    return services.Actor.person(request.user)


@login_required
@require_POST
def transition(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    _access, incident = get_incident_for_user(request.user, slug, pk, write=True)
    to = request.POST.get("to", "")
    return _act(
        request,
        incident,
        lambda: services.transition_incident(
            incident=incident,
            to=to,
            expected_version=_version(request),
            actor=_actor(request),
            reason=_prompt(request, "reason"),
        ),
        f"The incident is now {to}.",
    )


@login_required
@require_POST
def offer(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    _access, incident = get_incident_for_user(request.user, slug, pk, write=True)
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

    return _act(request, incident, action, "Offer sent: it takes effect when they accept.")


@login_required
@require_POST
def handoff_respond(
    request: AuthedHttpRequest, slug: str, pk: int, handoff_id: int, answer: str
) -> HttpResponse:
    if answer not in {"accept", "decline", "withdraw"}:
        raise Http404("No such answer.")
    _access, incident, handoff = get_handoff_for_user(request.user, slug, pk, handoff_id)
    if answer == "withdraw":
        return _act(
            request,
            incident,
            lambda: services.withdraw_handoff(
                handoff=handoff, expected_version=_version(request), actor=_actor(request)
            ),
            "Offer withdrawn.",
        )
    return _act(
        request,
        incident,
        lambda: services.respond_to_handoff(
            handoff=handoff, user=request.user, accept=answer == "accept"
        ),
        "You are the facilitator." if answer == "accept" else "Declined.",
    )


@login_required
@require_POST
def role(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    _access, incident = get_incident_for_user(request.user, slug, pk, write=True)
    form = RoleForm(
        request.POST,
        community=incident.community,
        people=Membership.objects.filter(community=incident.community),
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

    return _act(request, incident, action, "Role assigned.")


@login_required
@require_POST
def details(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    _access, incident = get_incident_for_user(request.user, slug, pk, write=True)
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

    return _act(request, incident, action, "Details updated.")


@login_required
@require_POST
def checklist(
    request: AuthedHttpRequest, slug: str, pk: int, role_id: int, index: int
) -> HttpResponse:
    _access, incident = get_incident_for_user(request.user, slug, pk, write=True)
    role = incident.roles.filter(pk=role_id).first()
    if role is None:
        raise Http404("No such role.")
    return _act(
        request,
        incident,
        lambda: services.tick_checklist_item(role=role, index=index, actor=_actor(request)),
        "",
    )


@login_required
@require_POST
def note(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    _access, incident = get_incident_for_user(request.user, slug, pk, write=True)
    return _act(
        request,
        incident,
        lambda: services.add_note(
            incident=incident, text=request.POST.get("text", ""), actor=_actor(request)
        ),
        "Note added.",
    )


@login_required
@require_POST
def runbook_start(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    _access, incident = get_incident_for_user(request.user, slug, pk, write=True)
    runbook = Runbook.objects.filter(
        community=incident.community, pk=request.POST.get("runbook") or 0
    ).first()

    def action() -> object:
        if runbook is None:
            raise ServiceError("Choose a runbook of this community.")
        return services.start_runbook(
            incident=incident,
            runbook=runbook,
            expected_version=_version(request),
            actor=_actor(request),
        )

    return _act(request, incident, action, "Runbook started.")


@login_required
@require_POST
def step_action(
    request: AuthedHttpRequest, slug: str, pk: int, step_id: int, verb: str
) -> HttpResponse:
    if verb not in {"run", "skip"}:
        raise Http404("No such action.")
    _access, incident, step = get_step_for_user(request.user, slug, pk, step_id)
    if verb == "skip":
        return _act(
            request,
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
        incident,
        lambda: services.run_step_now(
            step_run=step, expected_version=_version(request), actor=_actor(request)
        ),
        "",
    )


@login_required
@require_POST
def cooldown_start(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    _access, incident = get_incident_for_user(request.user, slug, pk, write=True)
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

    return _act(request, incident, action, "Cooldown started.")


@login_required
@require_POST
def cooldown_action(
    request: AuthedHttpRequest, slug: str, pk: int, cooldown_id: int, verb: str
) -> HttpResponse:
    if verb not in {"extend", "lift"}:
        raise Http404("No such action.")
    _access, incident = get_incident_for_user(request.user, slug, pk, write=True)
    _, cooldown = get_cooldown_for_user(request.user, slug, cooldown_id)
    if verb == "lift":
        return _act(
            request,
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
            ends_at=cooldown.ends_at + timedelta(minutes=form.cleaned_data["extra_minutes"]),
            actor=_actor(request),
            expected_version=_version(request),
        )

    return _act(request, incident, action, "Cooldown extended.")


# --- Metrics and runbooks -------------------------------------------------------------------


@login_required
def metrics(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = get_community_for_user(request.user, slug, moderate=True)
    incidents = list(Incident.objects.for_community(access.community))
    h = rules.humanize_duration
    rows = []
    for inc in incidents:
        m = services.incident_metrics(inc)
        rows.append(
            {
                "incident": inc,
                "facilitator": h(m.to_facilitator),
                "cooldown": h(m.to_cooldown),
                "resolution": h(m.to_resolution),
            }
        )
    months = [
        {
            "period": p.period,
            "incidents": p.incidents,
            "facilitator": h(p.to_facilitator),
            "cooldown": h(p.to_cooldown),
            "resolution": h(p.to_resolution),
        }
        for p in services.metrics_by_month(incidents)
    ]
    return render(
        request,
        "incidents/metrics.html",
        {
            "access": access,
            "community": access.community,
            "rows": rows,
            "months": months,
        },
    )


@login_required
def runbooks(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """The community's runbooks; moderators write new ones and add steps here."""
    access = get_community_for_user(request.user, slug, moderate=True)
    form = RunbookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            runbook = services.create_runbook(
                community=access.community,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                by=request.user,
            )
        except ServiceError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, f"“{runbook.name}” created. Add its steps in order.")
            return redirect(f"{request.path}#runbook-{runbook.pk}")
    books = list(
        Runbook.objects.filter(community=access.community).prefetch_related(
            Prefetch("steps", queryset=RunbookStep.objects.order_by("position"))
        )
    )
    return render(
        request,
        "incidents/runbooks.html",
        {
            "access": access,
            "community": access.community,
            "runbooks": [(rb, StepForm(auto_id=f"rb{rb.pk}_%s")) for rb in books],
            "form": form,
        },
    )


@login_required
@require_POST
def runbook_edit(
    request: AuthedHttpRequest, slug: str, runbook_id: int, verb: str, step_id: int = 0
) -> HttpResponse:
    _access, runbook = get_runbook_for_user(request.user, slug, runbook_id)
    back = redirect(f"{reverse('incidents:runbooks', kwargs={'slug': slug})}#runbook-{runbook.pk}")
    if verb == "add-step":
        form = StepForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                " ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()),
            )
            return back
        try:
            services.add_runbook_step(
                runbook=runbook,
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
                config=form.config(),
                only_severities=form.cleaned_data["only_severities"],
                only_space_kinds=form.cleaned_data["only_space_kinds"],
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        return back
    if verb == "remove-step":
        step = runbook.steps.filter(pk=step_id).first()
        if step is None:
            raise Http404("No such step.")
        services.remove_runbook_step(step=step)
        return back
    if verb in {"retire", "reactivate"}:
        services.set_runbook_active(runbook=runbook, active=verb == "reactivate")
        return back
    raise Http404("No such action.")


# --- Status page (public wording, never names) ----------------------------------------------


def status_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = get_community_for_user(request.user, slug)
    community: Community = access.community
    form = None
    if access.membership is not None:
        form = ReportForm(request.POST or None, community=community)
        if request.method == "POST" and form.is_valid():
            try:
                services.report_heated_space(
                    community=community,
                    space=form.cleaned_data["space"],
                    reporter=access.membership,
                    message=form.cleaned_data["message"],
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Thank you. The moderators have your report.")
                return redirect("incidents:status", slug=slug)
    elif request.method == "POST":
        if request.user.is_authenticated:
            raise PermissionDenied("Only members of this community can report here.")
        return redirect(f"{reverse('login')}?next={request.path}")
    return render(
        request,
        "incidents/status.html",
        {
            "access": access,
            "community": community,
            "incidents": Incident.objects.for_community(community)
            .open()
            .prefetch_related("spaces"),
            "cooldowns": Cooldown.objects.active()
            .filter(community=community)
            .select_related("space"),
            "resolved_30d": Incident.objects.for_community(community)
            .filter(resolved_at__gte=timezone.now() - timedelta(days=30))
            .count(),
            "form": form,
            "now": timezone.now(),
        },
    )
