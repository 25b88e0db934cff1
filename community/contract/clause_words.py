"""A clause definition's problems in the reader's language. ``slo`` stays free of Django and
says what is wrong as a code and its values; the contract editor, the API and the replay read
the sentences from here (the API's describe the target as a ratio, as its contract does)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from community.contract.slo import ClauseDefinition
from community.problems import Problem


def problem_words(problem: Problem) -> str:
    """One problem as a sentence."""
    params = dict(problem.params)
    if isinstance(params.get("max"), int):
        params["max"] = f"{params['max']:,}"
    sentences = {
        "title": _("Give the clause a short title."),
        "wording": _("Say the norm in plain words."),
        "target": _("The target must be between 0 and 1, e.g. 0.98 for 98 %%; 1 leaves no room."),
        "window_days": _("The window must be between 1 and %(max)s days."),
        "min_bad_events": _("At least one bad event must be needed to alert."),
        "max_bad_events": _("At most %(max)s bad events can be asked for."),
        "total_kinds": _("Choose at least one kind of event that counts as total."),
        "bad_kinds": _("Choose at least one kind of event that counts as bad."),
        "rule_twice": _("Two alert rules are called “%(name)s”."),
        "short_window": _("The short window of “%(name)s” must be shorter than its long window."),
        "minute": _("A window must be at least a minute."),
        "long_window": _("The long window of “%(name)s” cannot be longer than the clause window."),
        "budget_share": _("The budget share must be more than 0 and at most 100 %%."),
    }
    return sentences[problem.code] % params


def clause_problems(definition: ClauseDefinition) -> list[tuple[str, str]]:
    """Every problem with ``definition``, as (field, sentence) pairs; empty when valid."""
    return [(name, problem_words(problem)) for name, problem in definition.errors()]
