"""Incident words that follow the reader's language: durations (the one duration helper;
``rules`` may not import Django, so it cannot translate) and the problems the pure
``notice_templates`` finds in a runbook step's text."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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


# The parts of the system that write on an incident's timeline (``Actor.system``), stored as
# these English labels and said in the reader's language.
_SYSTEM_AUTHORS = {
    "timer": gettext_lazy("timer"),
    "member report": gettext_lazy("member report"),
    "clause alert": gettext_lazy("clause alert"),
    "auto-start (community setting)": gettext_lazy("auto-start (community setting)"),
    "forum": gettext_lazy("forum"),
    "metrics": gettext_lazy("metrics"),
    "notices": gettext_lazy("notices"),
    "reminder": gettext_lazy("reminder"),
    "worker": gettext_lazy("worker"),
}
_RUNBOOK_AUTHOR = "Runbook: "
_API_KEY_AUTHOR = re.compile(r"API key “(?P<name>.*)”")


def system_author(label: str) -> str:
    """Who wrote a timeline entry that no person wrote, in the reader's language: a known part
    of the system, a runbook or an API key by its name; any other label as stored."""
    if label in _SYSTEM_AUTHORS:
        return str(_SYSTEM_AUTHORS[label])
    if label.startswith(_RUNBOOK_AUTHOR):
        return _("Runbook: %(name)s") % {"name": label.removeprefix(_RUNBOOK_AUTHOR)}
    if match := _API_KEY_AUTHOR.fullmatch(label):
        return _("API key “%(name)s”") % {"name": match["name"]}
    return label
