"""A trial's gate in the reader's language. ``gate`` stays free of Django, so the thresholds
and the gate's findings (each a code with its values) are put into words here, for the trial
pages and the API, and so is the rollback notice to moderators (each reads it in their own
language). The trial's outcome and timeline are written with these words in the community's
default language when they are stored (``community.language.in_community_language``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

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
        sentence = rolled_back_words(canary, by_name=by_name, automatic=automatic)
        if not automatic or not failures:
            return sentence
        why = [_("The gate failed:"), *(_failure_words(f) for f in failures)]
        return " ".join([*why, sentence, _("The trial's page shows what was measured.")])

    return words


def rolled_back_words(canary: Canary, *, by_name: str, automatic: bool) -> str:
    """Who rolled the trial back and what applies again, in the active language."""
    if canary.is_policy:
        back = _(
            "Rolled back by %(who)s: version %(number)s of the budget policy applies again "
            "in the trial spaces."
        )
        number = canary.base_policy_version
    else:
        back = _("Rolled back by %(who)s: version %(number)s applies again in the trial spaces.")
        number = canary.base_version.number if canary.base_version else 0
    who = _("the gate") if automatic else (by_name or _("a moderator"))
    return back % {"who": who, "number": number}


def _sli_words(code: str, holds: bool, values: dict[str, Any]) -> str:
    if code == "sli_few":
        return (
            ngettext(
                "“%(title)s”: %(counted)s of the %(needed)s post needed to compare has been "
                "counted in the trial spaces so far.",
                "“%(title)s”: %(counted)s of the %(needed)s posts needed to compare have been "
                "counted in the trial spaces so far.",
                int(values["needed"]),
            )
            % values
        )
    rest = values["what"] == "rest"
    values = values | {"what": _("the rest of the community") if rest else _("the clause target")}
    if code == "sli_level":
        return (
            _(
                "“%(title)s”: %(canary)s %% of posts met the norm in the trial spaces, against "
                "%(against)s %% in %(what)s."
            )
            % values
        )
    if holds:
        return (
            ngettext(
                "“%(title)s”: %(canary)s %% of posts met the norm in the trial spaces, against "
                "%(against)s %% in %(what)s, %(drop)s point lower.",
                "“%(title)s”: %(canary)s %% of posts met the norm in the trial spaces, against "
                "%(against)s %% in %(what)s, %(drop)s points lower.",
                int(values["drop_count"]),
            )
            % values
        )
    return (
        ngettext(
            "“%(title)s”: %(canary)s %% of posts met the norm in the trial spaces, against "
            "%(against)s %% in %(what)s, %(drop)s point lower, more than the %(allowed)s allowed.",
            "“%(title)s”: %(canary)s %% of posts met the norm in the trial spaces, against "
            "%(against)s %% in %(what)s, %(drop)s points lower, more than the %(allowed)s allowed.",
            int(values["drop_count"]),
        )
        % values
    )


def _burn_words(code: str, holds: bool, values: dict[str, Any]) -> str:
    if code == "burn_none":
        return _("“%(title)s”: nothing counted against the clause in the last hour.") % values
    if holds:
        return (
            ngettext(
                "“%(title)s”: in the last hour the trial spaces used its room for mistakes "
                "%(rate)s times as fast as the contract allows (%(bad)s of %(total)s post counted "
                "as bad).",
                "“%(title)s”: in the last hour the trial spaces used its room for mistakes "
                "%(rate)s times as fast as the contract allows (%(bad)s of %(total)s posts counted "
                "as bad).",
                int(values["total"]),
            )
            % values
        )
    return (
        ngettext(
            "“%(title)s”: in the last hour the trial spaces used its room for mistakes %(rate)s "
            "times as fast as the contract allows (%(bad)s of %(total)s post counted as bad), at "
            "or over the %(allowed)s the gate allows.",
            "“%(title)s”: in the last hour the trial spaces used its room for mistakes %(rate)s "
            "times as fast as the contract allows (%(bad)s of %(total)s posts counted as bad), at "
            "or over the %(allowed)s the gate allows.",
            int(values["total"]),
        )
        % values
    )


def _appeal_words(code: str, holds: bool, values: dict[str, Any]) -> str:
    if code == "appeals_few":
        return (
            ngettext(
                "Appeals: %(charges)s charge in the trial spaces so far; the gate looks at "
                "appeals from %(from)s.",
                "Appeals: %(charges)s charges in the trial spaces so far; the gate looks at "
                "appeals from %(from)s.",
                int(values["charges"]),
            )
            % values
        )
    if holds:
        return (
            ngettext(
                "Appeals: %(overturned)s of %(charges)s charge in the trial spaces was overturned "
                "(%(share)s %%, against %(elsewhere)s %% in the comparison).",
                "Appeals: %(overturned)s of %(charges)s charges in the trial spaces were "
                "overturned (%(share)s %%, against %(elsewhere)s %% in the comparison).",
                int(values["charges"]),
            )
            % values
        )
    return (
        ngettext(
            "Appeals: %(overturned)s of %(charges)s charge in the trial spaces was overturned "
            "(%(share)s %%, against %(elsewhere)s %% in the comparison), over the %(allowed)s %% "
            "allowed.",
            "Appeals: %(overturned)s of %(charges)s charges in the trial spaces were overturned "
            "(%(share)s %%, against %(elsewhere)s %% in the comparison), over the %(allowed)s %% "
            "allowed.",
            int(values["charges"]),
        )
        % values
    )


def finding_words(finding: Finding | Mapping[str, Any]) -> str:
    """One finding of the gate in the active language, from its code and values. A finding
    stored before findings had codes is shown as it was written (in English)."""
    found = asdict(finding) if isinstance(finding, Finding) else dict(finding)
    code, holds, values = found.get("code") or "", bool(found["holds"]), found.get("params") or {}
    if code.startswith("sli"):
        return _sli_words(code, holds, dict(values))
    if code.startswith("burn"):
        return _burn_words(code, holds, dict(values))
    if code.startswith("appeals"):
        return _appeal_words(code, holds, dict(values))
    return str(found.get("words", ""))


def said_findings(findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A stored verdict's findings for a page or the API (its documented fields): their words in
    the active language."""
    return [
        {
            "measure": f["measure"],
            "clause": f["clause"],
            "holds": f["holds"],
            "words": finding_words(f),
        }
        for f in findings
    ]


def verdict_words(findings: Sequence[Finding]) -> str:
    """The gate's verdict in one paragraph, in the active language: it holds, or what failed."""
    failed = [f for f in findings if not f.holds]
    if not failed:
        return _("The gate holds: nothing in the trial spaces looks worse than the comparison.")
    return " ".join([_("The gate failed:"), *(finding_words(f) for f in failed)])


def promoted_words(*, name: str, automatic: bool) -> str:
    if automatic:
        return _("The gate held for the whole trial: promoted to every space.")
    return _("Promoted to every space by %(name)s.") % {"name": name}


def not_promoted_words(why: str) -> str:
    return _("The gate held, but the version could not be promoted: %(why)s") % {"why": why}
