"""The boards' pages and CSV downloads: for moderators (403 for others who can see the
community). Thin: read the parameters, build one read model, shape it."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from boards import downloads, params, presenters, services
from boards.change_safety import change_safety
from boards.fairness import (
    BY_TENURE,
    BY_TRUST,
    TENURE_DEFINITIONS,
    Fairness,
    cohort_words,
)
from boards.fairness_math import MIN_MEMBERS
from boards.flow import FlowHealth, flow_health
from boards.snapshots import fairness_board
from community.access import CommunityAccess, access_for_user
from community.http import AuthedHttpRequest


def _page(
    request: AuthedHttpRequest, template: str, body: str, context: dict[str, object]
) -> HttpResponse:
    """The board's page, or for htmx (its "Refresh") only the body partial it swaps."""
    return render(request, f"{template}#{body}" if request.htmx else template, context)


def _csv(rows: Iterable[list[str]], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for row in rows:
        writer.writerow(row)
    return response


def _refused(
    request: AuthedHttpRequest, access: CommunityAccess, error: params.BoardInputError
) -> HttpResponse:
    return render(
        request,
        "boards/refused.html",
        {"access": access, "community": access.community, "message": str(error)},
        status=400,
    )


def _spaces(access: CommunityAccess) -> list[object]:
    return list(access.community.spaces.order_by("name").values("pk", "name")[:200])


type BoardView = Callable[[AuthedHttpRequest, CommunityAccess], HttpResponse]


def board_view(view: BoardView) -> Callable[[AuthedHttpRequest, str], HttpResponse]:
    """A board's page or CSV: moderators only; a parameter it cannot use (``params``) is
    refused with the page that says what would be accepted (400), the same for every board."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthedHttpRequest, slug: str) -> HttpResponse:
        access = access_for_user(request.user, slug, moderate=True)
        try:
            return view(request, access)
        except params.BoardInputError as error:
            return _refused(request, access, error)

    return wrapper


def _flow(request: AuthedHttpRequest, access: CommunityAccess) -> FlowHealth:
    space = params.space(access, request.GET)
    return flow_health(community=access.community, at=timezone.now(), space=space)


def _fairness(request: AuthedHttpRequest, access: CommunityAccess) -> Fairness:
    days = params.window_days(request.GET)
    space = params.space(access, request.GET)
    return fairness_board(community=access.community, window_days=days, space=space)


@board_view
def flow(request: AuthedHttpRequest, access: CommunityAccess) -> HttpResponse:
    board = _flow(request, access)
    return _page(
        request,
        "boards/flow.html",
        "flow-board",
        {
            "access": access,
            "community": access.community,
            "board": board,
            "clauses": presenters.clause_rows(board),
            "friction": [
                (f"{presenters.friction_category(f.category)}", f.kind, f.count)
                for f in board.friction
            ],
            "release_callouts": presenters.release_callouts(board),
            "spaces": _spaces(access),
            "space": board.space,
        },
    )


@board_view
def flow_csv(request: AuthedHttpRequest, access: CommunityAccess) -> HttpResponse:
    board = _flow(request, access)
    return _csv(downloads.flow_csv(board), f"{access.community.slug}-flow-health.csv")


@board_view
def change(request: AuthedHttpRequest, access: CommunityAccess) -> HttpResponse:
    board = change_safety(community=access.community, at=timezone.now())
    months = [
        {
            "month": m.month,
            "incidents": m.incidents,
            "rows": [
                (name, presenters.time_words(s.median), presenters.time_words(s.p90))
                for name, s in (
                    (_("To facilitator"), m.to_facilitator),
                    (_("To cooldown"), m.to_cooldown),
                    (_("To resolution"), m.to_resolution),
                )
            ],
        }
        for m in reversed(board.times)
    ]
    return _page(
        request,
        "boards/change.html",
        "change-board",
        {
            "access": access,
            "community": access.community,
            "board": board,
            "months": months,
            "overall": [
                (name, presenters.time_words(s.median), presenters.time_words(s.p90), s.count)
                for name, s in (
                    (_("To facilitator"), board.times_overall.to_facilitator),
                    (_("To cooldown"), board.times_overall.to_cooldown),
                    (_("To resolution"), board.times_overall.to_resolution),
                )
            ],
            "chart": presenters.change_chart(board),
            "changes": [
                (
                    c.month,
                    presenters.share_words(
                        presenters.Share(c.appeals_reversed, c.appeals_decided),
                        _("no appeals decided"),
                    ),
                    c.contract_changes,
                    c.rolled_back,
                )
                for c in reversed(board.changes)
            ],
            "overturned": presenters.share_words(board.overturned, _("no appeals decided yet")),
            "rolled_back": presenters.share_words(
                board.rolled_back, presenters.NO_CONTRACT_CHANGES
            ),
            "follow_up": [
                (
                    _("Postmortems published on time"),
                    presenters.share_words(board.postmortems_on_time, _("none due yet")),
                ),
                (
                    _("Agreements kept"),
                    presenters.share_words(board.agreements_kept, _("none decided yet")),
                ),
                (
                    _("Action items verified"),
                    presenters.share_words(board.action_items_verified, _("none finished yet")),
                ),
                (
                    _("Incidents that came back within 90 days"),
                    presenters.share_words(board.repeat_incidents, _("no incidents yet")),
                ),
            ],
        },
    )


@board_view
def change_csv(request: AuthedHttpRequest, access: CommunityAccess) -> HttpResponse:
    board = change_safety(community=access.community, at=timezone.now())
    return _csv(downloads.change_csv(board), f"{access.community.slug}-change-safety.csv")


@board_view
def fairness_page(request: AuthedHttpRequest, access: CommunityAccess) -> HttpResponse:
    return _fairness_page(request, access, requested=False)


def _fairness_page(
    request: AuthedHttpRequest, access: CommunityAccess, *, requested: bool
) -> HttpResponse:
    by = params.grouping(request.GET)
    board = _fairness(request, access)
    table = board.table(by)
    return _page(
        request,
        "boards/fairness.html",
        "fairness-board",
        {
            "requested": requested,
            "access": access,
            "community": access.community,
            "board": board,
            "by": by,
            "by_tenure": BY_TENURE,
            "by_trust": BY_TRUST,
            "table": table,
            "rows": presenters.cohort_rows(table) if table else [],
            "chart": presenters.fairness_chart(table) if table else None,
            "reference": cohort_words(table.reference) if table else "",
            "definitions": [(cohort_words(n), d) for n, d in TENURE_DEFINITIONS.items()],
            "min_members": MIN_MEMBERS,
            "window_days": board.window_days,
            "spaces": _spaces(access),
            "space": board.space,
        },
    )


@board_view
def fairness_csv(request: AuthedHttpRequest, access: CommunityAccess) -> HttpResponse:
    board = _fairness(request, access)
    return _csv(downloads.fairness_csv(board), f"{access.community.slug}-fairness.csv")


@require_POST
@board_view
def fairness_count(request: AuthedHttpRequest, access: CommunityAccess) -> HttpResponse:
    """POST: "Compute the figures again" (the window in the query string, as on the page). The
    worker counts; htmx gets the board back saying so, a plain form goes back to the board."""
    days = params.window_days(request.GET)
    services.request_fairness_count(community=access.community, window_days=days)
    if not request.htmx:
        url = reverse("boards:fairness", args=[access.community.slug])
        return redirect(f"{url}?window_days={days}")
    return _fairness_page(request, access, requested=True)
