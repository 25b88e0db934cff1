"""Incident words that follow the reader's language: durations (the one duration helper;
``rules`` may not import Django, so it cannot translate) and the problems the pure
``notice_templates`` finds in a runbook step's text."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.problems import Problem


def duration(value: timedelta | None) -> str:
    """A duration in the active language: "1 h 35 min", "2 d 3 h", "under a minute", "—"."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return _("under a minute")
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [ngettext("%(n)d d", "%(n)d d", days) % {"n": days}] if days else []
    if hours:
        parts.append(ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours})
    if minutes and not days:
        parts.append(ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes})
    return " ".join(parts)


def minutes(value: timedelta | None) -> int | None:
    """A duration as whole minutes, as stored (and put back into words with ``duration``)."""
    return None if value is None else int(value.total_seconds() // 60)


def template_problem_words(problem: Problem) -> str:
    """Why a runbook step's text cannot be saved (``notice_templates.template_problem``)."""
    return _("This text can mention %(known)s; it does not know %(unknown)s.") % dict(
        problem.params
    )
