"""A problem found by a pure module (the math and rules modules import nothing from Django):
a code and the values its sentence names. The Django side puts it into words with gettext, in
the reader's language (``budgets.policy_words``, ``community.contract.clause_words``,
``incidents.words``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    code: str
    params: Mapping[str, object] = field(default_factory=dict)
