"""The community's runbooks: moderators write them, add and remove steps, retire them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.access import access_for_user
from community.http import AuthedHttpRequest
from community.services import ServiceError
from incidents import services
from incidents.access import get_runbook, get_runbook_step
from incidents.forms import RunbookForm, StepForm
from incidents.models import RunbookStep


@login_required
def runbooks(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """The community's runbooks; moderators write new ones and add steps here."""
    access = access_for_user(request.user, slug, moderate=True)
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
            messages.success(
                request, _("“%(name)s” created. Add its steps in order.") % {"name": runbook.name}
            )
            return redirect(f"{request.path}#runbook-{runbook.pk}")
    books = list(
        access.community.runbooks.prefetch_related(
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
    access = access_for_user(request.user, slug)
    runbook = get_runbook(access, runbook_id, write=True)
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
        services.remove_runbook_step(step=get_runbook_step(access, runbook, step_id))
        return back
    if verb in {"retire", "reactivate"}:
        services.set_runbook_active(runbook=runbook, active=verb == "reactivate")
        return back
    raise Http404("No such action.")
