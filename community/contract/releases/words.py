"""A trial's gate in the reader's language. ``gate`` stays free of Django, so the thresholds
are put into words here, for the trial pages and the API, and so is the rollback notice to
moderators (each reads it in their own language)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.contract.releases.gate import MIN_CHARGES, Finding, Thresholds, plural_count
from community.contract.releases.gate import _num as number_words
from community.contract.releases.models import Canary


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


def _failure_words(finding: Finding) -> str:
    """What one failed finding means, in the reader's language; the numbers are on the trial
    page (the finding's own words are a record, in English)."""
    if finding.measure == "sli":
        return _(
            "“%(clause)s”: the share of posts that met the norm in the trial spaces fell "
            "further below the comparison than the gate allows."
        ) % {"clause": finding.clause}
    if finding.measure == "burn":
        return _(
            "“%(clause)s”: over the last hour the trial spaces used the room for mistakes "
            "faster than the gate allows."
        ) % {"clause": finding.clause}
    return _("More charges in the trial spaces were overturned on appeal than the gate allows.")


def rollback_title(canary: Canary) -> Callable[[], str]:
    """The rollback notice's title, said in each moderator's language."""
    return lambda: _("The trial of %(what)s was rolled back") % {"what": canary.what_words}


def rollback_body(
    canary: Canary, *, by_name: str, automatic: bool, failures: Sequence[Finding] = ()
) -> Callable[[], str]:
    """The rollback notice's body, said in each moderator's language: why (the gate's failed
    findings, when the gate rolled it back) and what applies again."""

    def words() -> str:
        if canary.is_policy:
            back = _(
                "Rolled back by %(who)s: version %(number)s of the budget policy applies again "
                "in the trial spaces."
            )
            number = canary.base_policy_version
        else:
            back = _(
                "Rolled back by %(who)s: version %(number)s applies again in the trial spaces."
            )
            number = canary.base_version.number if canary.base_version else 0
        who = _("the gate") if automatic else (by_name or _("a moderator"))
        sentence = back % {"who": who, "number": number}
        if not automatic or not failures:
            return sentence
        why = [_("The gate failed:"), *(_failure_words(f) for f in failures)]
        return " ".join([*why, sentence, _("The trial's page shows what was measured.")])

    return words
