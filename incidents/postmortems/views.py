"""Postmortem pages: the community's postmortems and action items, starting one, and the
editor (sections save as you type; each answers with its own status line).

The editor is ``postmortems/editor.html``; its partials are named after their DOM ids:
``pm-header`` (state and actions), ``pm-findings`` (the blameless check), ``pm-items`` (action
items) and ``section-status`` (one section's save line, with its version out of band).
Without JavaScript every form posts and redirects back.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from community.access import CommunityAccess, access_for_user
from community.http import AuthedHttpRequest
from community.services import ServiceError
from incidents.access import get_incident
from incidents.postmortems import services
from incidents.postmortems.access import (
    Reading,
    get_action_item,
    get_finding,
    get_postmortem,
    read_postmortem,
    visible_action_items,
    visible_postmortems,
)
from incidents.postmortems.forms import ActionItemForm, SettingsForm
from incidents.postmortems.metrics import postmortem_metrics
from incidents.postmortems.models import (
    ActionStatus,
    Postmortem,
    PostmortemSection,
    PostmortemState,
    Visibility,
)
from incidents.postmortems.reading import document_parts
from incidents.postmortems.sections import BLAMELESS_CHECKED, SECTION_BY_KEY

TEMPLATE = "postmortems/editor.html"


def _version(request: AuthedHttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@login_required
def index(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    return render(request, "postmortems/index.html", _index_context(access))


def _index_context(access: CommunityAccess, **extra: Any) -> dict[str, Any]:
    docs = visible_postmortems(access).order_by("state", "due_at")[:100]
    items = (
        visible_action_items(access)
        .exclude(status__in=(ActionStatus.VERIFIED, ActionStatus.DONE))
        .order_by("due_on", "pk")[:200]
    )
    return {
        "community": access.community,
        "access": access,
        "postmortems": docs,
        "items": items,
        "metrics": postmortem_metrics(access.community),
        "settings": services.settings_for(access.community),
        "now": timezone.now(),
        **extra,
    }


@login_required
@require_POST
def change_settings(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Moderators set when postmortems are due and how reminders and objections run."""
    access = access_for_user(request.user, slug, moderate=True)
    form = SettingsForm(request.POST)
    try:
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise ServiceError(f"{form.fields[field].label}: {errors[0]}")
        services.update_settings(community=access.community, **form.cleaned_data)
    except ServiceError as exc:
        context = _index_context(access, settings_error=str(exc), posted=request.POST)
        return render(request, "postmortems/index.html", context, status=400)
    messages.success(request, _("Saved. New postmortems follow these settings."))
    return redirect("postmortems:index", slug=access.community.slug)


@login_required
def start(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    incident = get_incident(access, pk, write=True)
    existing = getattr(incident, "postmortem", None)  # the incident's own, if it has one
    if existing is not None:
        return redirect("postmortems:editor", slug=slug, pk=existing.pk)
    error = ""
    if request.method == "POST":
        try:
            doc = services.start_postmortem(incident=incident, by=request.user)
        except ServiceError as exc:
            error = str(exc)
        else:
            url = reverse("postmortems:editor", args=[slug, doc.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return render(
        request,
        "postmortems/start.html",
        {"community": access.community, "incident": incident, "error": error},
        status=400 if error else 200,
    )


def _context(
    request: AuthedHttpRequest,
    access: CommunityAccess,
    doc: Postmortem,
    *,
    error: str = "",
    item_form: ActionItemForm | None = None,
) -> dict[str, Any]:
    doc.refresh_from_db()
    editable = access.is_moderator and doc.state != PostmortemState.PUBLISHED
    parts = document_parts(doc)
    for s in parts.sections:  # the public summary stays open after publication (until it is)
        s["editable"] = access.is_moderator and services.section_refusal(doc, s["spec"].key) is None
    return {
        "community": doc.community,
        "access": access,
        "doc": doc,
        "incident": doc.incident,
        "sections": parts.sections,
        "editable": editable,
        "findings": parts.findings,
        "open_findings": parts.open_findings,
        "items": parts.items,
        "item_form": item_form or ActionItemForm(incident=doc.incident, auto_id="item_%s"),
        "publish_refusal": services.publish_refusal(doc)
        if doc.state == PostmortemState.IN_REVIEW
        else None,
        "error": error,
        "visibility_choices": Visibility.choices,
    }


def _page_with_error(
    request: AuthedHttpRequest,
    access: CommunityAccess,
    doc: Postmortem,
    error: str,
    status: int = 400,
    item_form: ActionItemForm | None = None,
) -> HttpResponse:
    """Without JavaScript a refused form shows the page again with the reason (nothing
    changed)."""
    return render(
        request,
        TEMPLATE,
        _context(request, access, doc, error=error, item_form=item_form),
        status=status,
    )


@login_required
def editor(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    doc, reading = read_postmortem(access, pk)
    if reading == Reading.SUMMARY:
        summary = PostmortemSection.objects.get(postmortem=doc, key="public_summary")
        return render(
            request,
            "postmortems/summary.html",
            {"community": access.community, "doc": doc, "summary": summary},
        )
    return render(request, TEMPLATE, _context(request, access, doc))


@login_required
@require_POST
def save_section(request: AuthedHttpRequest, slug: str, pk: int, key: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    doc = get_postmortem(access, pk, write=True)
    spec = SECTION_BY_KEY.get(key)
    version = _version(request)
    error, status = "", 200
    section: PostmortemSection | None = None
    if spec is None or version is None:
        error, status = _("That section or version is not one of this postmortem's."), 400
    else:
        try:
            section = services.save_section(
                postmortem=doc,
                key=key,
                body=request.POST.get("body", ""),
                expected_version=version,
                by=request.user,
            )
        except services.StaleSection as exc:
            error, status, section = str(exc), 409, exc.section
        except ServiceError as exc:
            error, status = str(exc), 400
    if not request.htmx:
        if error:
            return _page_with_error(request, access, doc, error, status)
        return redirect(reverse("postmortems:editor", args=[slug, pk]) + f"#section-{key}")
    context = _context(request, access, doc, error=error)
    context.update(
        {
            "s": {"spec": spec, "section": section, "editable": True},
            "saved": not error,
            "oob": True,
            "key": key,
        }
    )
    context["with_findings"] = key in BLAMELESS_CHECKED and not error
    return render(request, f"{TEMPLATE}#section-status", context, status=status)


STATE_VERBS = ("review", "draft", "publish", "check", "visibility")


@login_required
@require_POST
def change_state(request: AuthedHttpRequest, slug: str, pk: int, verb: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    doc = get_postmortem(access, pk, write=True)
    version = _version(request)
    error, done = "", ""
    try:
        if verb == "review":
            services.request_review(postmortem=doc, expected_version=version, by=request.user)
            done = _("Sent for review.")
        elif verb == "draft":
            services.return_to_draft(postmortem=doc, expected_version=version, by=request.user)
            done = _("Back to draft.")
        elif verb == "publish":
            services.publish_postmortem(postmortem=doc, expected_version=version, by=request.user)
            done = _("Published.")
        elif verb == "check":
            found = services.run_blameless_check(postmortem=doc)
            done = (
                _("The blameless check found nothing to point out.")
                if not found
                else ngettext(
                    "The blameless check pointed out %(count)s passage.",
                    "The blameless check pointed out %(count)s passages.",
                    len(found),
                )
                % {"count": len(found)}
            )
        elif verb == "visibility":
            services.set_visibility(
                postmortem=doc,
                visibility=request.POST.get("visibility", ""),
                expected_version=version,
                by=request.user,
            )
            done = _("Visibility changed.")
        else:
            error = _("That is not something a postmortem can do.")
    except ServiceError as exc:
        error = str(exc)
    if request.htmx:
        if not error and verb in ("review", "draft", "publish"):
            return HttpResponseClientRefresh()
        context = _context(request, access, doc, error=error)
        context["done"] = done
        return render(request, f"{TEMPLATE}#pm-header", context, status=400 if error else 200)
    if error:
        return _page_with_error(request, access, doc, error)
    if done:
        messages.success(request, done)
    return redirect("postmortems:editor", slug=slug, pk=pk)


@login_required
@require_POST
def acknowledge(request: AuthedHttpRequest, slug: str, pk: int, finding_id: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    doc = get_postmortem(access, pk, write=True)
    finding = get_finding(access, doc, finding_id)
    error = ""
    try:
        services.acknowledge_finding(
            finding=finding, note=request.POST.get("note", ""), by=request.user
        )
    except ServiceError as exc:
        error = str(exc)
    if request.htmx:
        context = _context(request, access, doc, error=error)
        return render(request, f"{TEMPLATE}#pm-findings", context, status=400 if error else 200)
    if error:
        return _page_with_error(request, access, doc, error)
    return redirect(reverse("postmortems:editor", args=[slug, pk]) + "#pm-findings")


@login_required
@require_POST
def add_item(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    doc = get_postmortem(access, pk, write=True)
    form = ActionItemForm(request.POST, incident=doc.incident, auto_id="item_%s")
    error = ""
    if not form.is_valid():
        error = _("Check the action item: %(problems)s") % {
            "problems": " ".join(
                f"{form.fields[name].label or name}: {' '.join(str(e) for e in errs)}"
                if name in form.fields
                else " ".join(str(e) for e in errs)
                for name, errs in form.errors.items()
            )
        }
    else:
        try:
            services.add_action_item(postmortem=doc, fields=form.item_fields(), by=request.user)
            form = ActionItemForm(incident=doc.incident, auto_id="item_%s")
        except ServiceError as exc:
            error = str(exc)
    if request.htmx:
        context = _context(request, access, doc, error=error, item_form=form)
        return render(request, f"{TEMPLATE}#pm-items", context, status=400 if error else 200)
    if error:
        return _page_with_error(request, access, doc, error, item_form=form)
    return redirect(reverse("postmortems:editor", args=[slug, pk]) + "#pm-items")


ITEM_VERBS = {"done": ActionStatus.DONE, "reopen": ActionStatus.REOPENED}


@login_required
@require_POST
def item_action(request: AuthedHttpRequest, slug: str, item_id: int, verb: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    item = get_action_item(access, item_id, write=True, status_only=True)
    error = ""
    if verb not in ITEM_VERBS:
        error = _("An action item can be marked done or reopened.")
    else:
        try:
            services.set_status(
                item=item,
                status=ITEM_VERBS[verb],
                expected_version=_version(request),
                by=request.user,
            )
        except ServiceError as exc:
            error = str(exc)
    back = reverse("postmortems:editor", args=[slug, item.postmortem_id]) + f"#item-{item.pk}"
    if request.htmx and request.POST.get("from") != "index":
        doc = get_postmortem(access, item.postmortem_id) if access.sees_member_records else None
        if doc is not None:
            context = _context(request, access, doc, error=error)
            return render(request, f"{TEMPLATE}#pm-items", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    if request.POST.get("from") == "index":
        return redirect("postmortems:index", slug=slug)
    return redirect(
        back if access.sees_member_records else reverse("community:notifications", args=[slug])
    )
