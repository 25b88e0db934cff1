"""Game day pages: the list with the start form, the confirm step, a game day (progress, the
sandbox's war room, the report) and finishing it. Moderators only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from community.access import access_for_user
from community.http import AuthedHttpRequest
from community.services import ServiceError
from incidents.gamedays import scoring, services
from incidents.gamedays.access import get_game_day, visible_game_days
from incidents.gamedays.forms import StartForm
from incidents.gamedays.reading import game_day_page


@login_required
def index(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    community = access.community
    form = StartForm(request.POST or None, community=community)
    error = ""
    confirm = None
    if request.method == "POST" and form.is_valid():
        try:
            recording = form.chosen_recording()
            if request.POST.get("confirm") == "yes":
                game_day = services.start_game_day(
                    community=community,
                    recording=recording,
                    runbook=form.cleaned_data["runbook"],
                    speed=form.cleaned_data["speed"],
                    by=request.user,
                )
                return redirect(game_day.get_absolute_url())
            confirm = {
                "recording": recording,
                "minutes": scoring.wall_minutes(
                    recording.recorded_seconds, form.cleaned_data["speed"]
                ),
                "recorded_minutes": recording.recorded_seconds / 60,
            }
        except ServiceError as exc:
            error = str(exc)
    status = 200 if request.method == "GET" or confirm else 400
    return render(
        request,
        "gamedays/index.html",
        {
            "community": community,
            "access": access,
            "form": form,
            "error": error,
            "confirm": confirm,
            "game_days": visible_game_days(access)[:50],
        },
        status=status,
    )


@login_required
def detail(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    context = game_day_page(access, get_game_day(access, pk))
    if request.htmx:
        return render(request, "gamedays/detail.html#gameday-progress", context)
    return render(request, "gamedays/detail.html", context)


@login_required
@require_POST
def stop(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    game_day = get_game_day(access, pk, write=True)
    try:
        services.stop_game_day(game_day=game_day, by=request.user)
    except ServiceError as exc:
        context = {**game_day_page(access, game_day), "error": str(exc)}
        return render(request, "gamedays/detail.html", context, status=409)
    return redirect(game_day.get_absolute_url())
