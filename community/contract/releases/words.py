"""A trial's gate in the reader's language. ``gate`` stays free of Django, so the thresholds
are put into words here, for the trial pages and the API."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.contract.releases.gate import MIN_CHARGES, Thresholds, plural_count
from community.contract.releases.gate import _num as number_words


def threshold_words(thresholds: Thresholds) -> list[str]:
    """The thresholds as the trial page states them."""
    drop = thresholds.sli_drop_points
    return [
        ngettext(
            "the share of posts that meet a clause may fall at most %(points)s percentage point "
            "below the comparison (judged once at least %(events)s posts are counted);",
            "the share of posts that meet a clause may fall at most %(points)s percentage "
            "points below the comparison (judged once at least %(events)s posts are counted);",
            plural_count(drop),
        )
        % {"points": number_words(drop), "events": thresholds.min_events},
        _(
            "over the last hour the trial spaces may not use a clause's room for mistakes "
            "%(rate)s times as fast as the contract allows, or faster;"
        )
        % {"rate": number_words(thresholds.burn_rate)},
        _(
            "at most %(percent)s %% of charges in the trial spaces may be overturned on appeal "
            "(judged from %(charges)s charges)."
        )
        % {"percent": number_words(thresholds.overturned_percent), "charges": MIN_CHARGES},
    ]
