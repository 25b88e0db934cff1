"""The fairness board's figures read out in the reader's language: one sentence per cohort.
``boards.fairness_math`` stays free of Django, so its figures are put into words here."""

from __future__ import annotations

from django.utils.translation import gettext as _

from boards.fairness_math import MIN_MEMBERS, CohortFigures


def _capitalised(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}"


def comparison(cohort: str, reference: str, ratio: float) -> str:
    """How often ``cohort`` is charged per post against ``reference``, as people say it: "New
    members are charged about 3 times as often per post as regulars", "… about 40 % more often
    per post than …", "… about half as often per post as …"."""
    names = {"cohort": _capitalised(cohort), "reference": reference}
    if ratio >= 1.95:
        near = round(ratio)
        number = str(near) if ratio >= 9.5 or abs(ratio - near) < 0.25 else f"{ratio:.1f}"
        return _(
            "%(cohort)s are charged about %(number)s times as often per post as %(reference)s"
        ) % {**names, "number": number}
    if ratio >= 1.05:
        return _(
            "%(cohort)s are charged about %(percent)s %% more often per post than %(reference)s"
        ) % {**names, "percent": round((ratio - 1) * 100)}
    if ratio > 0.95:
        return _("%(cohort)s are charged about as often per post as %(reference)s") % names
    if 0.4 <= ratio <= 0.6:
        return _("%(cohort)s are charged about half as often per post as %(reference)s") % names
    return _(
        "%(cohort)s are charged about %(percent)s %% less often per post than %(reference)s"
    ) % {**names, "percent": round((1 - ratio) * 100)}


def reading(cohort: str, reference: str, figures: CohortFigures) -> str:
    """The plain-language reading of one cohort's rate ratio (``cohort`` and ``reference`` are
    the cohorts' names in words, plural: "new members", "regulars")."""
    if figures.suppressed:
        return _("Fewer than %(count)s %(cohort)s were active, so their figures are not shown.") % {
            "count": MIN_MEMBERS,
            "cohort": cohort,
        }
    if figures.is_reference:
        return _("%(cohort)s are the group the others are compared with.") % {
            "cohort": _capitalised(cohort)
        }
    if figures.rate is None:
        return _("There are too few charges or posts to compare %(cohort)s with %(reference)s.") % {
            "cohort": cohort,
            "reference": reference,
        }
    said = comparison(cohort, reference, figures.rate.ratio)
    if figures.flagged:
        return _("%(comparison)s; this is unlikely to be chance.") % {"comparison": said}
    return _("%(comparison)s; this could be chance.") % {"comparison": said}
