"""What each tier means for a member, in the reader's language (``budget_math`` is pure and
keeps the English for its own tests; pages, notices and e-mails use these)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from community.tiers import Tier

TIER_SENTENCES: dict[str, Promise] = {
    Tier.HEALTHY: _("Plenty of room. Nothing to do."),
    Tier.WARNING: _(
        "Some of your room is used. It comes back on its own as charges leave the window."
    ),
    Tier.CRITICAL: _("Little room left for now. It regenerates as older charges leave the window."),
    Tier.EXHAUSTED: _(
        "Your room is used up for now. Nothing is automatic beyond the steps below; a person "
        "looks at every case, and the budget regenerates as charges leave the window."
    ),
}


def tier_sentence(tier: str) -> str:
    return str(TIER_SENTENCES.get(tier, ""))
