"""Pages of the social contract: the contract members read (with each clause's live SLI), its
versions and diffs, and the moderators' editor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from community.access import CommunityAccess, access_for_user
from community.contract.access import (
    get_clause,
    get_current_version,
    get_version,
    version_clauses,
    visible_clauses,
)
from community.contract.forms import ClauseForm, DraftForm, ImportForm, PublishForm
from community.contract.hooks import trial_sections
from community.contract.services import (
    ClauseInvalid,
    acknowledge_version,
    acknowledgement_counts,
    draft_fingerprint,
    export_openslo,
    get_contract,
    import_openslo,
    preview_publish,
    publish_contract,
    retire_clause,
    save_clause,
    space_names,
    update_draft,
)
from community.contract.slo import ClauseDefinition
from community.contract.sparkline import Sparkline, sparkline
from community.contract.text import describe_indicator, diff_versions, pace_words
from community.contract.translation_views import translation_forms
from community.http import AuthedHttpRequest, HtmxHttpRequest
from community.models import (
    Acknowledgement,
    Clause,
    ClauseAlert,
    ClauseSnapshot,
    ClauseWords,
    Community,
    Contract,
    ContractVersion,
)
from community.services import ConflictError, ServiceError
from community.tiers import Tier

HISTORY_DAYS = 30


@dataclass
class ClauseView:
    """One clause as the contract page shows it: the published words and the live numbers."""

    clause_id: int
    number: int
    definition: ClauseDefinition
    measured: str
    words: ClauseWords
    status: ClauseSnapshot | None = None
    spaces: list[ClauseSnapshot] = field(default_factory=list)
    spark: Sparkline | None = None
    policy: str = ""

    @property
    def total_noun(self) -> str:
        return _("posts") if self.definition.total_kinds == ("post",) else _("events")

    @property
    def pace(self) -> str:
        if self.status is None or not self.status.has_data:
            return ""
        return pace_words(self.status.burn_rates, self.definition.window_days)

    @property
    def budget_left_percent(self) -> Decimal | None:
        if self.status is None:
            return None
        return (self.status.budget_remaining * 100).quantize(Decimal(1))


def clause_views(community: Community, version: ContractVersion, *, live: bool) -> list[ClauseView]:
    """The version's clauses; with ``live``, their latest status, per space and history."""
    names = space_names(community)
    # Each clause in the reader's language (its translation, else the version's own words).
    by_pk = version_clauses(version)
    views = []
    for n, data in enumerate(version.clauses, start=1):
        definition = ClauseDefinition.from_dict(data)
        clause = by_pk.get(int(data["clause_id"]))
        own = (definition.title, definition.wording)
        views.append(
            ClauseView(
                clause_id=int(data["clause_id"]),
                number=n,
                definition=definition,
                measured=describe_indicator(definition, names),
                words=clause.words_in(own=own)
                if clause is not None
                else ClauseWords(*own, community.default_language, community.default_language),
            )
        )
    if not live or not views:
        return views
    by_id = {v.clause_id: v for v in views}
    since = timezone.now() - timedelta(days=HISTORY_DAYS)
    history: dict[int, list[ClauseSnapshot]] = {}
    for snap in ClauseSnapshot.objects.filter(
        clause_id__in=list(by_id), scope="", bucket__gte=since
    ).order_by("bucket"):
        history.setdefault(snap.clause_id, []).append(snap)
    # The current status, unless it is older than the chart (then there is nothing to show).
    current = (
        ClauseSnapshot.objects.filter(clause_id__in=list(by_id), bucket__gte=since)
        .latest_per_clause()
        .select_related("space")
        .order_by("space__name")
    )
    for snap in current:
        if snap.scope:
            by_id[snap.clause_id].spaces.append(snap)
        else:
            by_id[snap.clause_id].status = snap
    for clause_id, view in by_id.items():
        snaps = history.get(clause_id, [])
        if snaps:
            view.spark = sparkline([s.sli for s in _daily(snaps)], view.definition.target)
        tier = view.status.tier if view.status else Tier.HEALTHY.value
        view.policy = (version.policy or {}).get(tier, "")
    return views


def _daily(snaps: list[ClauseSnapshot]) -> list[ClauseSnapshot]:
    """The last snapshot of each day (the chart shows a month, one point a day)."""
    by_day: dict[Any, ClauseSnapshot] = {}
    for snap in snaps:
        by_day[snap.bucket.date()] = snap
    return list(by_day.values())


def _ack_context(access: CommunityAccess, version: ContractVersion | None) -> dict[str, Any]:
    acknowledged = None
    if access.membership is not None and version is not None:
        acknowledged = Acknowledgement.objects.filter(
            membership=access.membership, version=version
        ).first()
    return {"acknowledged": acknowledged}


# --- Members --------------------------------------------------------------------------------


def contract_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    community = access.community
    version = get_current_version(access)
    context = {
        "access": access,
        "community": community,
        "version": version,
        "clauses": clause_views(community, version, live=True) if version else [],
        "tiers": [t.value for t in Tier],
        "trials": trial_sections(access),
        **_ack_context(access, version),
    }
    return render(request, "contract/contract.html", context)


@login_required
@require_POST
def contract_acknowledge(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    if access.membership is None:
        raise PermissionDenied("Join the community to acknowledge its contract.")
    version = get_current_version(access)
    if version is None:
        raise Http404("There is no published contract yet.")
    acknowledge_version(membership=access.membership, version=version)
    if not request.htmx:
        messages.success(request, f"Thank you: you acknowledged version {version.number}.")
        return redirect("contract:page", slug=slug)
    context = {"access": access, "community": access.community, "version": version}
    context.update(_ack_context(access, version))
    return render(request, "contract/contract.html#ack", context)


def contract_versions(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    contract = Contract.objects.filter(community=access.community).first()
    versions = list(contract.versions.select_related("published_by")) if contract else []
    counts = acknowledgement_counts(contract=contract) if contract and access.is_moderator else {}
    return render(
        request,
        "contract/contract_versions.html",
        {
            "access": access,
            "community": access.community,
            "versions": versions,
            "ack_counts": counts,
            "rows": [(v, counts.get(v.number)) for v in versions],
        },
    )


def contract_version(request: HtmxHttpRequest, slug: str, number: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    version = get_version(access, number)
    return render(
        request,
        "contract/contract_version.html",
        {
            "access": access,
            "community": access.community,
            "version": version,
            "clauses": clause_views(access.community, version, live=False),
            "tiers": [t.value for t in Tier],
        },
    )


def contract_diff(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    try:
        old_n, new_n = int(request.GET["from"]), int(request.GET["to"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest("Choose two versions to compare: ?from=1&to=2.")
    old = get_version(access, old_n)
    new = get_version(access, new_n)
    lines = diff_versions(old, new, space_names(access.community))
    return render(
        request,
        "contract/contract_diff.html",
        {
            "access": access,
            "community": access.community,
            "old": old,
            "new": new,
            "lines": lines,
            "changed": any(line.op != "same" for line in lines),
        },
    )


# --- Moderators: the editor -----------------------------------------------------------------


def _draft_form(contract: Contract) -> DraftForm:
    return DraftForm(initial={"preamble": contract.preamble, **(contract.policy or {})})


def _editor_context(
    access: CommunityAccess,
    *,
    draft_form: DraftForm | None = None,
    publish_form: PublishForm | None = None,
    import_form: ImportForm | None = None,
    saved: bool = False,
    publish_summary: str = "",
    publish_stale: str = "",
) -> dict[str, Any]:
    community = access.community
    contract = get_contract(community=community)
    clauses = list(visible_clauses(access).order_by("retired_at", "position", "pk"))
    latest = ClauseSnapshot.objects.filter(clause__community=community).latest_per_clause()
    status = {snap.clause_id: snap for snap in latest.filter(scope="")}
    for clause in clauses:
        clause.current = status.get(clause.pk)  # type: ignore[attr-defined]
    alerts = ClauseAlert.objects.filter(clause__community=community).select_related(
        "clause", "space"
    )
    # The publish step shows what the next version changes before anyone publishes it.
    previous = contract.current_version()
    in_draft = sorted(
        (c for c in clauses if c.retired_at is None), key=lambda c: (c.position, c.pk)
    )
    draft = preview_publish(contract=contract, previous=previous, draft_clauses=in_draft)
    empty = ContractVersion(number=0, preamble="", policy={}, clauses=[])
    changes = [
        line
        for line in diff_versions(previous or empty, draft, space_names(community))
        if line.op != "same"
    ]
    return {
        "access": access,
        "community": community,
        "contract": contract,
        "version": previous,
        "clauses": clauses,
        "draft_form": draft_form or _draft_form(contract),
        "publish_form": publish_form
        or PublishForm(initial={"summary": publish_summary, "draft": draft_fingerprint(draft)}),
        "publish_stale": publish_stale,
        "publish_changes": changes,
        "next_number": draft.number,
        "member_count": community.memberships.count(),
        "import_form": import_form or ImportForm(),
        "open_alerts": list(alerts.open()),
        "recent_alerts": list(alerts.filter(cleared_at__isnull=False)[:10]),
        "saved": saved,
    }


@login_required
def contract_edit(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    return render(request, "contract/contract_edit.html", _editor_context(access))


@login_required
@require_POST
def contract_draft_save(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    form = DraftForm(request.POST)
    saved = False
    if form.is_valid():
        update_draft(
            community=access.community,
            preamble=form.cleaned_data["preamble"],
            policy=form.policy(),
        )
        saved = True
        if not request.htmx:
            messages.success(request, _("Draft saved. Members see it once you publish."))
            return redirect("contract:edit", slug=slug)
    context = _editor_context(access, draft_form=form if not saved else None, saved=saved)
    template = (
        "contract/contract_edit.html#draft" if request.htmx else "contract/contract_edit.html"
    )
    # htmx swaps only 2xx answers, so a form with errors comes back as 200 to htmx.
    status = 200 if form.is_valid() or request.htmx else 422
    return render(request, template, context, status=status)


@login_required
@require_POST
def contract_publish(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            version = publish_contract(
                community=access.community,
                summary=form.cleaned_data["summary"],
                by=request.user,
                expected_draft=form.cleaned_data["draft"],
            )
        except ConflictError as exc:
            # Show the draft as it is now, with what was typed kept, ready to publish again.
            context = _editor_context(
                access, publish_summary=form.cleaned_data["summary"], publish_stale=str(exc)
            )
            if request.htmx:  # htmx swaps only 2xx answers
                return render(request, "contract/contract_edit.html#publish", context)
            return render(request, "contract/contract_edit.html", context, status=409)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Version %(number)s is published.") % {"number": version.number}
            )
            url = reverse("contract:page", kwargs={"slug": slug})
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = _editor_context(access, publish_form=form)
    if request.htmx:  # htmx swaps only 2xx answers
        return render(request, "contract/contract_edit.html#publish", context)
    return render(request, "contract/contract_edit.html", context, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def clause_new(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    return _clause_form(request, access, None)


@login_required
@require_http_methods(["GET", "POST"])
def clause_edit(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    clause = get_clause(access, pk, write=True)
    return _clause_form(request, access, clause)


def _clause_form(
    request: AuthedHttpRequest, access: CommunityAccess, clause: Clause | None
) -> HttpResponse:
    community = access.community
    initial = ClauseForm.initial_for(clause.draft_definition()) if clause else None
    form = ClauseForm(request.POST or None, community=community, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            existing = clause.draft_definition().total_categories if clause else ()
            try:
                saved = save_clause(
                    community=community,
                    clause=clause,
                    definition=form.definition(total_categories=existing),
                )
            except ClauseInvalid as exc:
                form.add_service_errors(exc.errors)
            else:
                messages.success(
                    request,
                    _("“%(title)s” is saved in the draft. Publish to make it live.")
                    % {"title": saved.title},
                )
                return redirect("contract:edit", slug=community.slug)
    context = {
        "access": access,
        "community": community,
        "clause": clause,
        "form": form,
        "translations": translation_forms(clause) if clause else [],
    }
    return render(request, "contract/clause_form.html", context, status=status)


@login_required
@require_POST
def clause_retire(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    clause = get_clause(access, pk, write=True)
    retire_clause(clause=clause)
    if not request.htmx:
        messages.info(
            request,
            _("“%(title)s” leaves the contract at the next publish.") % {"title": clause.title},
        )
        return redirect("contract:edit", slug=slug)
    return render(request, "contract/contract_edit.html#clauses", _editor_context(access))


def clause_openslo(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    clause = get_clause(access_for_user(request.user, slug), pk)
    response = HttpResponse(export_openslo(clause=clause), content_type="application/yaml")
    response["Content-Disposition"] = f'inline; filename="{clause.slug}.openslo.yaml"'
    return response


@login_required
@require_POST
def clause_import(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    form = ImportForm(request.POST)
    if form.is_valid():
        try:
            clause = import_openslo(community=access.community, text=form.cleaned_data["document"])
        except ClauseInvalid as exc:
            for path, message in exc.errors:
                form.add_error("document", f"{path}: {message}")
        else:
            messages.success(
                request, _("Imported “%(title)s” as a draft clause.") % {"title": clause.title}
            )
            return redirect("contract:clause-edit", slug=slug, pk=clause.pk)
    return render(
        request,
        "contract/contract_edit.html",
        _editor_context(access, import_form=form),
        status=422,
    )
