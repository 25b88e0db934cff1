"""The blameless check, framework-free (no Django): find the words in a section that name a
member (their name or forum handle) or that blame, each with a systemic rephrasing to consider.

It points out; it never rewrites. The author revises the words or says why they stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def _(text: str) -> str:
    """Marks a suggestion for the translation catalogue; it is translated into the community's
    language when a finding is stored (this module stays Django-free)."""
    return text


NAMES_MEMBER = "names_member"
BLAME_WORD = "blame_word"

# A name shorter than this is too likely to match an ordinary word ("Al", "Jo").
MIN_NAME_LENGTH = 3

NAME_SUGGESTION = _(
    "Describe the situation rather than the person: what in the thread, the rules or the "
    "interface made this likely? For example “a reply quoted out of context drew a run of "
    "angry answers” instead of naming who wrote it."
)

# (pattern, suggestion): words of blame, and a systemic way to say what they point at.
BLAME_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        r"\b(?:his|her|their|its|my|your|whose)\s+fault\b|\bat fault\b|\bfault of\b",
        _(
            "Ask what made the outcome likely instead of whose fault it was: which rule was "
            "unclear, which signal came late, what did the interface make easy?"
        ),
    ),
    (
        r"\bblam(?:e|ed|es|ing)\b",
        _(
            "Name the conditions, not a culprit: what would have to change so that anyone in that "
            "position would act differently?"
        ),
    ),
    (
        r"\b(?:careless(?:ly|ness)?|negligen(?:t|ce)|lazy|laziness|incompeten(?:t|ce)|"
        r"reckless(?:ly)?|irresponsible)\b",
        _(
            "Describe the load and the context instead of a trait: how many things were waiting, "
            "what did people know at the time?"
        ),
    ),
    (
        r"\b(?:trolls?|trolling|toxic|bad actors?|troublemakers?|instigators?|culprits?|"
        r"ringleaders?|agitators?)\b",
        _(
            "Describe the behaviour and where it happened (“a run of replies that escalated in "
            "Proposals”), not a label for a person."
        ),
    ),
    (
        r"\bshould(?:n't| not)? have (?:known|seen|noticed|realised|realized)\b",
        _(
            "Hindsight: say what was visible at the time, and what would have made it visible "
            "sooner (an alert, a clearer rule, a prompt in the interface)."
        ),
    ),
    (
        r"\b(?:failed to|refused to|neglected to|ignored the)\b",
        _(
            "Say what got in the way: was the step written down, was it easy to find, was there "
            "time to do it?"
        ),
    ),
    (
        r"\b(?:started it|caused (?:it|this|the (?:fight|flame war|argument|incident))|"
        r"provoked)\b",
        _(
            "Incidents have several contributing factors. List the conditions that let one post "
            "escalate: the topic, the timing, the rules, the moderation at that hour."
        ),
    ),
    (
        r"\bhuman error\b",
        _(
            "“Human error” is where the inquiry starts: what made the error easy to make and hard "
            "to notice?"
        ),
    ),
)
_BLAME = tuple((re.compile(p, re.IGNORECASE), s) for p, s in BLAME_PATTERNS)


@dataclass(frozen=True)
class Person:
    """A member of the community, by every name they may be written as."""

    membership_id: int
    names: tuple[str, ...]  # display name and forum handles


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    excerpt: str
    suggestion: str
    membership_id: int | None = None

    @property
    def identity(self) -> tuple[str, str, int | None]:
        """What makes two findings "the same words" across edits (offsets move as text is
        typed around them)."""
        return (self.kind, self.excerpt.casefold(), self.membership_id)


def _name_pattern(name: str) -> re.Pattern[str]:
    # A handle may be written with its "@"; a name must stand as a whole word.
    escaped = re.escape(name.strip().lstrip("@"))
    return re.compile(rf"(?<![\w@])@?{escaped}(?!\w)", re.IGNORECASE)


def check(text: str, people: Iterable[Person]) -> list[Finding]:
    """Every passage of ``text`` that names one of ``people`` or uses words of blame, in
    order of appearance (a passage is reported once even if two rules match it)."""
    found: list[Finding] = []
    for person in people:
        seen: set[str] = set()
        for name in person.names:
            clean = name.strip().lstrip("@")
            if len(clean) < MIN_NAME_LENGTH or clean.casefold() in seen:
                continue
            seen.add(clean.casefold())
            for match in _name_pattern(clean).finditer(text):
                found.append(
                    Finding(
                        NAMES_MEMBER,
                        match.start(),
                        match.end(),
                        match.group(0),
                        NAME_SUGGESTION,
                        person.membership_id,
                    )
                )
    for pattern, suggestion in _BLAME:
        for match in pattern.finditer(text):
            found.append(
                Finding(BLAME_WORD, match.start(), match.end(), match.group(0), suggestion)
            )
    return _without_overlaps(found)


def _without_overlaps(found: Sequence[Finding]) -> list[Finding]:
    """Keep the first (then the longest) of findings whose spans overlap."""
    kept: list[Finding] = []
    for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if kept and f.start < kept[-1].end:
            continue
        kept.append(f)
    return kept
