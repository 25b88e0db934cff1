"""Notice texts with named placeholders, such as ``{facilitator}`` (framework-free).

A moderator writes these; they are not Python format strings. Filling never fails: a brace that is
not one of the step's placeholders stays as written (``Calm down {`` is just text), so a runbook
step can never stall on its own wording. Saving checks the text, so a misspelt placeholder is
caught while the moderator is still looking at it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from community.problems import Problem

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# What each step may mention, with what it becomes.
NOTICE_PLACEHOLDERS = {
    "facilitator": "the facilitator's name",
    "runbook": "the runbook's name",
    "space": "the space's name",
    "ends_at": "when the cooldown ends",
}
PARTY_PLACEHOLDERS = {
    "name": "the person's name",
    "facilitator": "the facilitator's name",
}


def template_problem(text: str, allowed: Mapping[str, str]) -> Problem | None:
    """Why ``text`` cannot be saved, or None: every ``{word}`` must be a known placeholder.
    The problem names the placeholders it may use and those it does not know;
    ``incidents.words.template_problem_words`` says it in the reader's language."""
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in allowed})
    if not unknown:
        return None
    known = ", ".join("{" + name + "}" for name in allowed)
    names = ", ".join("{" + name + "}" for name in unknown)
    return Problem("unknown_placeholders", {"known": known, "unknown": names})


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known ``{word}`` replaced; anything else is left exactly as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
