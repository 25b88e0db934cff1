"""The postmortem's sections: their keys, headings and the prompts shown beside each one.

Pure definitions (no Django), shared by the models (choices), the template filler, the editor
and the API.
"""

from __future__ import annotations

from dataclasses import dataclass


def _(text: str) -> str:
    """Marks a heading or prompt for the translation catalogue; pages translate it when they
    show it (this module stays Django-free)."""
    return text


@dataclass(frozen=True)
class SectionSpec:
    key: str
    heading: str
    prompt: str
    public: bool = False


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "summary",
        _("Summary"),
        _(
            "What happened, in two or three calm sentences. Describe behaviour in spaces, not "
            "people."
        ),
    ),
    SectionSpec(
        "impact",
        _("Impact"),
        _(
            "The figures are filled in from the incident. Add what they do not show: who stopped "
            "posting, what the space lost."
        ),
    ),
    SectionSpec(
        "timeline",
        _("Timeline"),
        _("Filled in from the incident's timeline. Correct or add what the timeline missed."),
    ),
    SectionSpec(
        "detection",
        _("Detection"),
        _("How did we learn of it: an alert, a member's report, a moderator? How late, and why?"),
    ),
    SectionSpec(
        "response",
        _("Response"),
        _("What moderators did, in order, and how long each step took."),
    ),
    SectionSpec(
        "contributing_factors",
        _("Contributing factors"),
        _(
            "Look for systemic causes: the rules (were they clear?), the interface (did it make "
            "escalation easy?), unclear context (what did people not know?), moderator load (who "
            "was on, and how stretched?). Name conditions, not people."
        ),
    ),
    SectionSpec(
        "went_well",
        _("What went well"),
        _("What helped: a quick report, a calm notice, a cooldown that worked."),
    ),
    SectionSpec(
        "got_lucky",
        _("Where we got lucky"),
        _("What could have gone worse, and what held only by chance."),
    ),
    SectionSpec(
        "lessons",
        _("Lessons"),
        _("What we will do differently. Each lesson that needs work becomes an action item."),
    ),
    SectionSpec(
        "public_summary",
        _("Public summary"),
        _(
            "Written separately for everyone: what happened and what changes, with no names and "
            "nothing from the private sections."
        ),
        public=True,
    ),
)

SECTION_KEYS: tuple[str, ...] = tuple(s.key for s in SECTIONS)
SECTION_BY_KEY: dict[str, SectionSpec] = {s.key: s for s in SECTIONS}
# The sections the blameless check reads.
BLAMELESS_CHECKED: tuple[str, ...] = ("contributing_factors",)
# The section readers outside the document's visibility may see (once published).
PUBLIC_SECTION = "public_summary"
