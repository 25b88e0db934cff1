"""Pages: *My budget* (the member's budget explained), a member's page for moderators, the
moderator table, the appeals queue and the policy editor."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from budgets import services
from budgets.access import (
    count_waiting_appeals,
    get_appeal,
    get_appeals,
    get_budget_member,
    get_charge,
    get_own_membership,
)
from budgets.appeals_queue import appeal_items, decision_form
from budgets.budget_math import ACTION_TIERS
from budgets.explain import charge_line, explain_budget, moderator_extras, pending_appeals_count
from budgets.forms import REVERSE, AppealForm, GraceForm, PolicyForm
from budgets.models import AppealStatus, ForgivenessKind, MemberBudget, Notice
from budgets.models.snapshots import DEFAULT_SORT, SORTS, TIER_CHOICES
from community.access import CommunityAccess, access_for_user
from community.contract.hooks import trial_sections
from community.http import AuthedHttpRequest
from community.models import Membership
from community.services import ServiceError

PAGE_SIZE = 50


def _budget_page(
    request: AuthedHttpRequest, access: CommunityAccess, membership: Membership
) -> HttpResponse:
    own = access.membership is not None and access.membership.pk == membership.pk
    context: dict[str, object] = {
        "access": access,
        "community": access.community,
        "membership": membership,
        "own": own,
        "explained": explain_budget(membership=membership),
        "appeal_form": AppealForm(),
        "grace_form": GraceForm(),
        "trials": trial_sections(access, membership),
    }
    if access.is_moderator:
        context.update(moderator_extras(membership=membership))
    return render(request, "budgets/member_budget.html", context)


@login_required
def my_budget(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    membership = get_own_membership(access)
    return _budget_page(request, access, membership)


@login_required
def member_budget(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    membership = get_budget_member(access, pk)
    return _budget_page(request, access, membership)


@login_required
@require_http_methods(["GET", "POST"])
def appeal_charge(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """File an appeal: the form inline (htmx) or on its own page (without JavaScript); a
    POST returns the charge's updated line."""
    access = access_for_user(request.user, slug)
    charge = get_charge(access, pk, appeal=True)
    assert access.membership is not None  # the charge's own member, checked above
    form = AppealForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.file_appeal(
                charge=charge,
                membership=access.membership,
                statement=form.cleaned_data["statement"],
            )
        except ServiceError as exc:
            error = str(exc)
        else:
            if not request.htmx:
                messages.success(request, _("Your appeal is filed. A moderator will answer it."))
                return redirect("budgets:my-budget", slug=slug)
            form = AppealForm()
    context = {
        "access": access,
        "community": access.community,
        "line": charge_line(charge=charge),
        "own": True,
        "appeal_form": form,
        "appeal_error": error,
        "show_form": request.method == "GET" or bool(form.errors) or bool(error),
    }
    status = 400 if (form.errors or error) else 200
    if request.htmx:
        return render(request, "budgets/member_budget.html#charge-row", context, status=status)
    return render(request, "budgets/appeal.html", context, status=status)


@login_required
@require_POST
def forgive_charge(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    charge = get_charge(access_for_user(request.user, slug), pk, forgive=True)
    form = GraceForm(request.POST)
    if form.is_valid():
        try:
            services.forgive_charges(
                charges=[charge],
                reason=form.cleaned_data["reason"],
                by=request.user,
                kind=ForgivenessKind.GRACE,
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Forgiven. The budget is recalculated in a moment."))
    else:
        messages.error(request, _("Give a reason the member can read."))
    url = reverse("budgets:member", kwargs={"slug": slug, "pk": charge.membership_id})
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@login_required
def budget_table(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    tier = request.GET.get("tier", "")
    tier = tier if tier in dict(TIER_CHOICES) else ""
    sort = request.GET.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    query = request.GET.get("q", "").strip()[:100]
    rows = MemberBudget.objects.for_table(access.community, tier=tier, query=query, sort=sort)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "access": access,
        "community": access.community,
        "page": page,
        "tier": tier,
        "tier_label": dict(TIER_CHOICES).get(tier, ""),
        "sort": sort,
        "query": query,
        "tiers": TIER_CHOICES,
        "sorts": [
            ("ratio", _("Least room first")),
            ("-ratio", _("Most room first")),
            ("-spent", _("Most spent")),
            ("-activity", _("Most active")),
            ("name", _("Name")),
        ],
    }
    if request.htmx:
        return render(request, "budgets/table.html#budget-table", context)
    context["notices"] = Notice.objects.for_moderators(access.community).select_related(
        "membership"
    )[:8]
    context["pending_appeals"] = pending_appeals_count(community_id=access.community.pk)
    return render(request, "budgets/table.html", context)


@login_required
def appeals_queue(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    if request.htmx and request.htmx.target == "appeals-waiting":
        # The waiting count refreshes itself after a decision (the "appeals-changed" event).
        context = {"community": access.community, "waiting": count_waiting_appeals(access)}
        return render(request, "budgets/appeals.html#appeals-waiting", context)
    appeals = get_appeals(access)
    pending = [a for a in appeals if a.status == AppealStatus.PENDING]
    decided = [a for a in appeals if a.status != AppealStatus.PENDING][:50]
    return render(
        request,
        "budgets/appeals.html",
        {
            "access": access,
            "community": access.community,
            "pending": appeal_items(community=access.community, appeals=pending),
            "decided": appeal_items(community=access.community, appeals=decided),
            "waiting": len(pending),
        },
    )


@login_required
@require_POST
def decide_appeal(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    appeal = get_appeal(access, pk)
    form = decision_form(appeal, request.POST)
    error = ""
    if form.is_valid():
        try:
            appeal = services.decide_appeal(
                appeal=appeal,
                uphold=form.cleaned_data["decision"] == REVERSE,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ServiceError as exc:
            # Decided meanwhile, most likely: show the appeal as it is now.
            error = str(exc)
            appeal = get_appeal(access, pk)
    failed = bool(error or form.errors)
    if not request.htmx:
        if failed:
            messages.error(request, error or _("Choose a decision and give a reason."))
        return redirect("budgets:appeals", slug=slug)
    [item] = appeal_items(community=access.community, appeals=[appeal])
    if failed:
        item = replace(item, form=form)
    context = {"access": access, "community": access.community, "item": item, "error": error}
    response = render(
        request, "budgets/appeals.html#appeal-row", context, status=400 if failed else 200
    )
    if not failed:
        trigger_client_event(response, "appeals-changed")
    return response


@login_required
@require_http_methods(["GET", "POST"])
def policy_editor(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    policy = services.get_policy(community=access.community)
    form = PolicyForm(request.POST or None, policy=policy)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_policy(
                    community=access.community,
                    changes=form.changes(),
                    by=request.user,
                    note=form.cleaned_data["note"],
                )
            except services.PolicyError as exc:
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(
                    request, _("Policy saved as a new version. Every budget is being recalculated.")
                )
                return redirect("budgets:policy", slug=slug)
        status = 400
    return render(
        request,
        "budgets/policy.html",
        {
            "access": access,
            "community": access.community,
            "policy": policy,
            "form": form,
            "versions": access.community.forgiveness_policy_versions.select_related("created_by")[
                :20
            ],
            "action_tiers": ACTION_TIERS,
        },
        status=status,
    )
