"""The clause editor's other languages: a moderator writes a clause's title and text in each
of the community's other languages (``community.contract.translations``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.access import CommunityAccess, access_for_user
from community.contract.access import get_clause
from community.contract.forms import ClauseForm, TranslationForm
from community.contract.services import ClauseInvalid
from community.contract.translations import (
    TranslationRow,
    save_clause_translation,
    translation_rows,
)
from community.http import AuthedHttpRequest
from community.models import Clause


def translation_forms(
    clause: Clause, *, bound: TranslationForm | None = None, saved: str = "", state: str = ""
) -> list[dict[str, Any]]:
    """Each other language of ``clause`` with its form (``bound``: the one just posted, shown
    with its errors; ``saved``: the language just ``state``, "saved" or "removed")."""
    forms = []
    for row in translation_rows(clause):
        form = bound if bound is not None and bound.prefix == row.language else None
        forms.append(
            {
                "row": row,
                "form": form
                or TranslationForm(
                    language=row.language, initial={"title": row.title, "text": row.text}
                ),
                "saved": state if saved == row.language else "",
            }
        )
    return forms


def _page(
    request: AuthedHttpRequest,
    access: CommunityAccess,
    clause: Clause,
    translations: list[dict[str, Any]],
    status: int,
) -> HttpResponse:
    initial = ClauseForm.initial_for(clause.draft_definition())
    context = {
        "access": access,
        "community": access.community,
        "clause": clause,
        "form": ClauseForm(community=access.community, initial=initial),
        "translations": translations,
    }
    return render(request, "contract/clause_form.html", context, status=status)


@login_required
@require_POST
def clause_translation(
    request: AuthedHttpRequest, slug: str, pk: int, language: str
) -> HttpResponse:
    access = access_for_user(request.user, slug)
    clause = get_clause(access, pk, write=True)
    form = TranslationForm(request.POST, language=language)
    saved = ""
    if form.is_valid():
        try:
            row = save_clause_translation(
                clause=clause,
                language=language,
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
            )
        except ClauseInvalid as exc:
            form.add_service_errors(exc.errors)
        else:
            saved = "saved" if row is not None else "removed"
    clause = get_clause(access, pk, write=True)  # with the translations as they are now
    if saved and not request.htmx:
        if saved == "saved":
            messages.success(request, _("Saved. Members who read that language see it now."))
        else:
            messages.success(
                request, _("Removed. Members who read that language see the clause's own words.")
            )
        return redirect("contract:clause-edit", slug=slug, pk=pk)
    translations = translation_forms(
        clause, bound=None if saved else form, saved=language, state=saved
    )
    if not request.htmx:
        return _page(request, access, clause, translations, status=422)
    mine = [t for t in translations if t["row"].language == language]
    if not mine:  # a language the clause cannot have: its errors in a form of their own
        mine = [{"row": TranslationRow(language, language, None), "form": form, "saved": ""}]
    context = {"community": access.community, "clause": clause, "t": mine[0]}
    # htmx swaps only 2xx answers, so a form with errors comes back as 200 to htmx.
    return render(request, "contract/clause_form.html#translation", context)
