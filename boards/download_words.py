"""The words in a board download's rows (which section, which figure), in the downloader's
language like its column headers. The board's own words (clause titles, cohorts, figures said
in words) come from the presenters, already in that language."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

_WORDS = {
    "clause": pgettext_lazy("board download", "clause"),
    "good events": pgettext_lazy("board download", "good events"),
    "target": pgettext_lazy("board download", "target"),
    "budget remaining": pgettext_lazy("board download", "budget remaining"),
    "tier": pgettext_lazy("board download", "tier"),
    "burn rate": pgettext_lazy("board download", "burn rate"),
    "clause history": pgettext_lazy("board download", "clause history"),
    "release health": pgettext_lazy("board download", "release health"),
    "friction": pgettext_lazy("board download", "friction"),
    "count": pgettext_lazy("board download", "count"),
    "open": pgettext_lazy("board download", "open"),
    "alerts": pgettext_lazy("board download", "alerts"),
    "incidents": pgettext_lazy("board download", "incidents"),
    "cooldowns": pgettext_lazy("board download", "cooldowns"),
    "members per tier": pgettext_lazy("board download", "members per tier"),
    "members": pgettext_lazy("board download", "members"),
    "response times": pgettext_lazy("board download", "response times"),
    "median time to facilitator": pgettext_lazy("board download", "median time to facilitator"),
    "median time to cooldown": pgettext_lazy("board download", "median time to cooldown"),
    "median time to resolution": pgettext_lazy("board download", "median time to resolution"),
    "90th percentile to facilitator": pgettext_lazy(
        "board download", "90th percentile to facilitator"
    ),
    "90th percentile to cooldown": pgettext_lazy("board download", "90th percentile to cooldown"),
    "90th percentile to resolution": pgettext_lazy(
        "board download", "90th percentile to resolution"
    ),
    "change failure": pgettext_lazy("board download", "change failure"),
    "charges reversed on appeal": pgettext_lazy("board download", "charges reversed on appeal"),
    "contract changes": pgettext_lazy("board download", "contract changes"),
    "contract changes rolled back": pgettext_lazy("board download", "contract changes rolled back"),
    "all": pgettext_lazy("board download", "all"),
    "follow-up": pgettext_lazy("board download", "follow-up"),
    "postmortems on time": pgettext_lazy("board download", "postmortems on time"),
    "agreements kept": pgettext_lazy("board download", "agreements kept"),
    "action items verified": pgettext_lazy("board download", "action items verified"),
    "repeat incidents within 90 days": pgettext_lazy(
        "board download", "repeat incidents within 90 days"
    ),
    "tenure": pgettext_lazy("board download", "tenure"),
    "trust level": pgettext_lazy("board download", "trust level"),
}


def row_word(english: str) -> str:
    """The downloader's word for ``english`` (one of the keys above)."""
    return str(_WORDS[english])
