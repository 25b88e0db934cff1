"""Pages of replays: the community's kept replays, the form that asks for one (a clause's
draft, a draft budget policy, a runbook, a period), one replay (its progress polled by htmx,
then its results beside the live version), starting one from a clause, dismissing one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from community.access import CommunityAccess, access_for_user
from community.contract.access import get_clause, visible_clauses
from community.contract.replay import hooks
from community.contract.replay.access import get_replay, kept_replays
from community.contract.replay.forms import ReplayForm
from community.contract.replay.models import Replay, ReplayStatus
from community.contract.replay.results import results_context
from community.contract.replay.services import (
    ReplayInvalid,
    dismiss_replay,
    replay_minutes,
    request_replay,
)
from community.http import AuthedHttpRequest
from community.services import ServiceError


def _moderator_view(request: AuthedHttpRequest, slug: str) -> CommunityAccess:
    access = access_for_user(request.user, slug)
    if not access.sees_member_records:
        access.require_moderator("Only this community's moderators can see replays.")
    return access


def _rows(replay: Replay, key: str) -> list[dict[str, Any]] | None:
    rows = (replay.results or {}).get(key)
    if rows is None:
        return None
    names = (replay.results or {}).get("space_names", {})
    return [
        {
            **row,
            "where": names.get(row["scope"], "") if row["scope"] else "",
            "fired": datetime.fromisoformat(row["fired_at"]),
            "cleared": datetime.fromisoformat(row["cleared_at"]) if row["cleared_at"] else None,
        }
        for row in rows
    ]


def _context(access: CommunityAccess, replay: Replay) -> dict[str, Any]:
    return results_context(replay) | {
        "community": access.community,
        "access": access,
        "replay": replay,
        "done": replay.status == ReplayStatus.DONE,
        "working": replay.status in (ReplayStatus.QUEUED, ReplayStatus.RUNNING),
        "alerts": _rows(replay, "alerts") or [],
        "live_alerts": _rows(replay, "live_alerts"),
        "events": (replay.results or {}).get("events", 0),
        "hours": replay_minutes(replay) // 60,
    }


@login_required
def replay_list(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = _moderator_view(request, slug)
    replays = kept_replays(access).select_related("clause")[:50]
    return render(
        request,
        "replay/replay_list.html",
        {"community": access.community, "access": access, "replays": replays},
    )


@login_required
def replay_detail(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = _moderator_view(request, slug)
    replay = get_replay(access, pk)
    template = "replay/replay_detail.html"
    if request.headers.get("HX-Request"):
        template += "#progress"
    return render(request, template, _context(access, replay))


def _form(access: CommunityAccess, data: Any = None) -> ReplayForm:
    clauses = [(c.pk, c.title) for c in visible_clauses(access).order_by("position", "pk")]
    replayer = hooks.incident_replayer()
    runbooks = replayer.runbooks(access.community.pk) if replayer is not None else []
    return ReplayForm(data, clauses=clauses, runbooks=runbooks)


@login_required
def replay_new(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Ask for a replay: a clause's saved draft, a draft budget policy, or both."""
    access = access_for_user(request.user, slug, moderate=True)
    form = _form(access, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        clause = get_clause(access, values["clause"]) if values["clause"] is not None else None
        try:
            replay = request_replay(
                community=access.community,
                definition=None if clause is None else clause.draft_definition(),
                policy=form.policy(),
                runbook_id=values["runbook"],
                start=values["start"],
                end=values["end"],
                by=request.user,
                clause=clause,
            )
        except ReplayInvalid as error:
            form.refuse(error.field, str(error))
        else:
            return redirect("replay:detail", slug=slug, pk=replay.pk)
    status = 400 if request.method == "POST" else 200
    context = {"community": access.community, "access": access, "form": form}
    return render(request, "replay/replay_new.html", context, status=status)


@login_required
@require_POST
def replay_start(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Replay a clause's draft (its saved edits) over the last 30 days."""
    access = access_for_user(request.user, slug, moderate=True)
    clause = get_clause(access, pk, write=True)
    try:
        replay = request_replay(
            community=access.community,
            definition=clause.draft_definition(),
            by=request.user,
            clause=clause,
        )
    except (ReplayInvalid, ServiceError) as error:
        return HttpResponse(str(error), status=400)
    return redirect("replay:detail", slug=slug, pk=replay.pk)


@login_required
def replay_dismiss(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET: the confirm step, saying what dismissing does. POST: dismiss."""
    access = _moderator_view(request, slug)
    replay = get_replay(access, pk, write=True)
    if request.method != "POST":
        context = {"community": access.community, "access": access, "replay": replay}
        return render(request, "replay/replay_dismiss.html", context)
    dismiss_replay(replay=replay)
    return redirect("replay:list", slug=slug)
