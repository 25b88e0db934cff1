"""The fairness board over the API: ``GET /api/v1/fairness/?window_days=30``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from boards import params
from boards.fairness import BY_TENURE, BY_TRUST, MAX_WINDOW_DAYS, MIN_WINDOW_DAYS
from boards.fairness_math import CohortFigures
from boards.serializers import FairnessSerializer
from boards.snapshots import fairness_board
from community.api_auth import access_of
from community.serializers import ErrorSerializer


def _rounded(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def cohort_json(c: CohortFigures) -> dict[str, object]:
    return {
        "name": c.name,
        "members": c.members,
        "posts": c.posts,
        "charges": c.charges,
        "charges_per_100_posts": _rounded(c.charges_per_100_posts),
        "share_warning_or_worse": _rounded(c.share_warning_or_worse),
        "overturned_share": _rounded(c.overturned_share),
        "rate_ratio": _rounded(c.rate.ratio if c.rate else None),
        "ci_low": _rounded(c.rate.low if c.rate else None),
        "ci_high": _rounded(c.rate.high if c.rate else None),
        "flagged": c.flagged,
    }


class FairnessView(APIView):
    """Moderation across member cohorts (DESIGN.md §3.6): per cohort its figures and its rate
    ratio against the reference with the 95 % interval. Cohorts of fewer than 5 members have
    every figure null. ``computed_at`` is when the figures were counted (hourly, or on
    request)."""

    required_scope = "read"

    @extend_schema(
        operation_id="fairness_retrieve",
        tags=["boards"],
        parameters=[
            OpenApiParameter(
                "window_days",
                {"type": "integer", "minimum": MIN_WINDOW_DAYS, "maximum": MAX_WINDOW_DAYS},
                description="7 to 365 days (default 30).",
            ),
            OpenApiParameter(
                "space",
                {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                description="One space's id (default: everywhere).",
            ),
            OpenApiParameter("by", str, enum=[BY_TENURE, BY_TRUST], description="The grouping."),
            OpenApiParameter("cohort", str, description="Only this cohort (by its name)."),
        ],
        responses={200: FairnessSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        access = access_of(request)
        if not access.sees_member_records:
            raise PermissionDenied("This API key may not read the community's moderation records.")
        try:
            days = params.window_days(request.query_params)
            space = params.space(access, request.query_params)
            by = params.grouping(request.query_params)
            only = params.cohort(request.query_params)
        except params.BoardInputError as error:
            raise ValidationError({error.field: str(error)}) from None
        board = fairness_board(community=access.community, window_days=days, space=space)
        table = board.table(by)
        if table is None:
            return Response(
                FairnessSerializer({"cohorts": [], "reference": "", "computed_at": board.at}).data
            )
        cohorts = [cohort_json(c) for c in table.cohorts if not only or c.name == only]
        if only and not cohorts:
            raise ValidationError({"cohort": "That cohort is not in this grouping."})
        return Response(
            FairnessSerializer(
                {"cohorts": cohorts, "reference": table.reference, "computed_at": board.at}
            ).data
        )
