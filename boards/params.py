"""The boards' query parameters, read the same way by the pages, the CSV downloads and the API.
Each refusal is a ``BoardInputError`` whose message says what would be accepted."""

from __future__ import annotations

from collections.abc import Mapping

from django.http import Http404, QueryDict
from django.utils.translation import gettext as _

from boards.fairness import (
    BY_TENURE,
    BY_TRUST,
    DEFAULT_WINDOW_DAYS,
    KNOWN_COHORTS,
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
)
from community.access import CommunityAccess, get_space
from community.models import Space


class BoardInputError(ValueError):
    """A parameter the boards cannot use; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def window_days(params: QueryDict | Mapping[str, str]) -> int:
    raw = params.get("window_days") or str(DEFAULT_WINDOW_DAYS)
    message = _("Give the window as a whole number of days from %(low)s to %(high)s.") % {
        "low": MIN_WINDOW_DAYS,
        "high": MAX_WINDOW_DAYS,
    }
    try:
        days = int(raw)
    except (TypeError, ValueError):
        raise BoardInputError("window_days", message) from None
    if not MIN_WINDOW_DAYS <= days <= MAX_WINDOW_DAYS:
        raise BoardInputError("window_days", message)
    return days


def space(access: CommunityAccess, params: QueryDict | Mapping[str, str]) -> Space | None:
    """The space asked for (none: the whole community). An unknown one is refused, not
    ignored: a board of the wrong scope would read as the right one."""
    raw = params.get("space") or ""
    if not raw:
        return None
    if raw.isdigit():
        try:
            return get_space(access, int(raw))
        except Http404:
            pass
    raise BoardInputError("space", _("There is no such space in this community."))


def grouping(params: QueryDict | Mapping[str, str]) -> str:
    by = params.get("by") or BY_TENURE
    if by not in (BY_TENURE, BY_TRUST):
        raise BoardInputError("by", _("Group members by tenure or by trust level."))
    return by


def cohort(params: QueryDict | Mapping[str, str]) -> str:
    name = params.get("cohort") or ""
    if name and name not in KNOWN_COHORTS:
        known = ", ".join(sorted(KNOWN_COHORTS))
        message = _("There is no such cohort. Known cohorts: %(known)s.") % {"known": known}
        raise BoardInputError("cohort", message)
    return name
