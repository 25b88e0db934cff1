"""Pages of contract releases: trials (canaries) with their gate and timeline, the
spokescouncil, and the release health of each version."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.access import access_for_user
from community.contract.access import get_version, get_versions, visible_clauses
from community.contract.releases.access import get_canary, get_group, visible_canaries
from community.contract.releases.canary import (
    promote_canary,
    roll_back_canary,
    start_canary,
)
from community.contract.releases.council import (
    answer_draft,
    ask_council,
    configure_council,
    current_draft,
    facilitator,
    get_council,
    groups_from_spaces,
    standing_answers,
    withdraw_block,
)
from community.contract.releases.gate import Thresholds
from community.contract.releases.health import clause_charts, version_health
from community.contract.releases.measure import thresholds_of
from community.contract.releases.models import AnswerKind, Baseline, TrialKind
from community.contract.releases.policy_trial import policy_cost_rows, start_policy_trial
from community.contract.releases.words import said_findings, threshold_words
from community.http import AuthedHttpRequest, HtmxHttpRequest
from community.services import ServiceError


def releases_index(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    versions = list(get_versions(access)[:10])
    live = [(c.pk, c.title) for c in visible_clauses(access).live()]
    charts = clause_charts(live, versions)
    context = {
        "access": access,
        "community": access.community,
        "canaries": list(visible_canaries(access)[:20]),
        "versions": versions,
        "charts": charts,
        "spaces": list(access.community.spaces.order_by("name")) if access.is_moderator else [],
        "baselines": Baseline.choices,
        "thresholds": threshold_words(Thresholds()),
        "cost_rows": policy_cost_rows(access.community) if access.is_moderator else [],
    }
    return render(request, "releases/index.html", context)


def _costs_from(data: QueryDict) -> dict[str, dict[str, str]]:
    """The policy trial form's costs: fields named ``cost-<kind>-<severity>``."""
    costs: dict[str, dict[str, str]] = {}
    for name in data:
        if name.startswith("cost-") and name.count("-") == 2:
            _, kind, severity = name.split("-")
            costs.setdefault(kind, {})[severity] = str(data.get(name, "")).strip()
    return costs


def _decimal(value: str, default: Decimal) -> Decimal:
    try:
        return Decimal(value) if value.strip() else default
    except InvalidOperation:
        raise ServiceError(_("The gate's thresholds must be numbers.")) from None


@login_required
@require_POST
def canary_start(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    access.require_moderator(_("Only this community's moderators can start a trial."))
    data = request.POST
    try:
        ids = [int(v) for v in data.getlist("spaces")]
        hours = int(data.get("duration_hours") or "0")
        defaults = Thresholds()
        thresholds = Thresholds(
            sli_drop_points=_decimal(data.get("sli_drop_points", ""), defaults.sli_drop_points),
            burn_rate=_decimal(data.get("burn_rate", ""), defaults.burn_rate),
            overturned_percent=_decimal(
                data.get("overturned_percent", ""), defaults.overturned_percent
            ),
        )
        common: dict[str, Any] = {
            "community": access.community,
            "space_ids": ids,
            "duration_hours": hours,
            "summary": data.get("summary", ""),
            "baseline": data.get("baseline", Baseline.REST),
            "thresholds": thresholds,
            "by": request.user,
        }
        if data.get("kind") == TrialKind.POLICY:
            canary = start_policy_trial(costs=_costs_from(data), **common)
        else:
            canary = start_canary(**common)
    except ValueError:
        messages.error(request, _("Choose spaces from the list and a whole number of hours."))
        return redirect("releases:index", slug=slug)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("releases:index", slug=slug)
    messages.success(request, _("%(what)s is on trial.") % {"what": capfirst(canary.what_words)})
    return redirect("releases:canary", slug=slug, pk=canary.pk)


def canary_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    canary = get_canary(access, pk)
    context = {
        "access": access,
        "community": access.community,
        "canary": canary,
        "entries": list(canary.entries.all()),
        "thresholds": threshold_words(thresholds_of(canary)),
        "findings": said_findings(canary.last_verdict.get("findings", [])),
    }
    return render(request, "releases/canary.html", context)


@login_required
@require_POST
def canary_action(request: AuthedHttpRequest, slug: str, pk: int, verb: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    canary = get_canary(access, pk, write=True)
    try:
        if verb == "promote":
            promote_canary(canary=canary, by=request.user)
            messages.success(
                request,
                _("%(what)s now applies in every space.") % {"what": capfirst(canary.what_words)},
            )
        elif verb == "rollback":
            roll_back_canary(canary=canary, by_name=request.user.get_username())
            messages.success(request, _("Rolled back: the version in force applies everywhere."))
        else:
            messages.error(request, _("Promote or roll back."))
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("releases:canary", slug=slug, pk=canary.pk)


def council_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    council = get_council(community=access.community)
    draft = current_draft(access.community)
    rows = standing_answers(council, draft[1]) if draft else []
    person, passes = facilitator(council)
    mine = [
        r.group for r in rows if access.membership and r.group.delegate_id == access.membership.pk
    ]
    context = {
        "access": access,
        "community": access.community,
        "council": council,
        "draft": draft,
        "rows": rows,
        "mine": mine,
        "facilitator": person,
        "passes": passes,
        "kinds": AnswerKind.choices,
    }
    return render(request, "releases/council.html", context)


@login_required
@require_POST
def council_settings(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    access.require_moderator(_("Only this community's moderators can set up the council."))
    try:
        days = int(request.POST.get("rotation_days") or "7")
        configure_council(
            community=access.community,
            enabled=request.POST.get("enabled") == "on",
            rotation_days=days,
        )
        if request.POST.get("from_spaces") == "on":
            groups_from_spaces(community=access.community)
        if request.POST.get("ask") == "on":
            ask_council(community=access.community)
    except ValueError:
        messages.error(request, _("The rotation is a whole number of days."))
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("releases:council", slug=slug)


@login_required
@require_POST
def council_answer(request: AuthedHttpRequest, slug: str, group_id: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    group = get_group(access, group_id)
    try:
        if request.POST.get("kind") == "withdraw":
            withdraw_block(group=group, membership=access.membership)
        else:
            answer_draft(
                community=access.community,
                group=group,
                membership=access.membership,
                kind=request.POST.get("kind", ""),
                reason=request.POST.get("reason", ""),
                by=request.user,
                fingerprint=request.POST.get("fingerprint", ""),
            )
        messages.success(request, _("Your answer for %(name)s is recorded.") % {"name": group.name})
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from None
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("releases:council", slug=slug)


def version_health_page(request: HtmxHttpRequest, slug: str, number: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    version = get_version(access, number)
    health = version_health(version)
    context = {"access": access, "community": access.community, "health": health}
    return render(request, "releases/health.html", context)
