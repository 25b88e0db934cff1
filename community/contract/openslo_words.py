"""An OpenSLO document's problems in the reader's language. ``openslo`` stays free of Django and
names each problem with a code and its values; the import (page and API) reads the words here,
each after the document path of its field."""

from __future__ import annotations

from django.utils.translation import gettext as _

from community.contract.openslo import DOCUMENT
from community.problems import Problem


def field_words(field: str) -> str:
    return _("(document)") if field == DOCUMENT else field


def problem_words(problem: Problem) -> str:
    """What is wrong with one field, as the words after its path ("metadata: is required")."""
    words = {
        "required": _("is required"),
        "wrong_type": _("has the wrong type (%(type)s)"),
        "strings": _("must be a list of strings"),
        "number": _("“%(value)s” is not a number"),
        "duration": _("must be a duration like 5m, 1h or 30d"),
        "duration_text": _("“%(text)s” is not a duration like 5m, 1h, 3d or 2w"),
        "positive_duration": _("a duration must be longer than zero"),
        "yaml": _("is not valid YAML: %(problem)s"),
        "mapping": _("must be a YAML mapping (one SLO document)"),
        "must_be": _("must be “%(value)s”"),
        "occurrences": _("only “Occurrences” is supported"),
        "same_spaces": _("must name the same spaces as total"),
        "no_space": _("no space called %(names)s here"),
        "whole_days": _("must be a whole number of days"),
        "one_objective": _("must hold exactly one objective"),
        "whole_number": _("must be a whole number"),
        "inline_policy": _("must be an inline AlertPolicy (references are not supported)"),
        "one_condition": _("must hold exactly one AlertCondition"),
        "severity": _("must be “page” or “ticket”"),
    }
    return words[problem.code] % dict(problem.params)


def document_problems(errors: list[tuple[str, Problem]]) -> list[tuple[str, str]]:
    """(field path, words) for each problem of a document."""
    return [(field_words(field), problem_words(problem)) for field, problem in errors]
