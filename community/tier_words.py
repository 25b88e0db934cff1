"""A tier's name in the reader's language. ``community.tiers`` is Django-free by rule, so its
labels are translated here, where Django is allowed: models take ``TIER_CHOICES`` from here."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from community.tiers import Tier

TIER_LABELS: dict[str, Promise] = {
    Tier.HEALTHY: _("Healthy"),
    Tier.WARNING: _("Warning"),
    Tier.CRITICAL: _("Critical"),
    Tier.EXHAUSTED: _("Exhausted"),
}
TIER_CHOICES: list[tuple[str, Promise]] = [(tier.value, TIER_LABELS[tier]) for tier in Tier]


def tier_label(tier: str) -> str:
    """ "Healthy"; an unknown tier reads as its own word."""
    label = TIER_LABELS.get(tier)
    return str(label) if label is not None else tier.replace("_", " ")
