"""The words around a charge: why one a moderator enters by hand is refused, in the reader's
language (the page's, or the API's for the key's community; nothing is stored), and the reasons
the system writes on a charge from a forum event and on a forgiveness, in the community's
default language when it is stored."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from budgets import budget_math
from community import words
from community.contract.hooks import TrialCosts
from community.language import in_community_language
from community.models import Community, ConductEvent, Membership
from community.vocabulary import FRICTION_KINDS, EventKind, Severity


def charge_refusal(
    *,
    community: Community,
    membership: Membership,
    kind: str,
    severity: str,
    reason: str,
    occurred_at: datetime,
    cost: Decimal | None,
) -> str | None:
    """The first reason the charge cannot be entered, or None."""
    if membership.community_id != community.pk:
        return _("That member is not in this community.")
    if kind not in FRICTION_KINDS:
        return _("Only friction is charged (%(kinds)s).") % {
            "kinds": ", ".join(sorted(FRICTION_KINDS))
        }
    if severity not in Severity.values:
        return _("Severity is one of %(levels)s.") % {"levels": ", ".join(Severity.values)}
    if not reason.strip():
        return _("Give the reason the member will read.")
    if occurred_at > timezone.now():
        return _("The behaviour cannot be in the future.")
    if cost is not None and (
        not (0 <= cost <= budget_math.MAX_COST) or cost != cost.quantize(budget_math.COST_PLACES)
    ):
        return _("A cost is from 0 to %(max)s points with at most two decimals.") % {
            "max": budget_math.MAX_COST
        }
    return None


def flag_rejected_reason(community: Community) -> str:
    return in_community_language(
        community, lambda: _("The flag was rejected on review, so this charge no longer counts.")
    )


def reversed_on_appeal_reason(community: Community, decision: str) -> str:
    return in_community_language(
        community, lambda: _("Charge reversed on appeal: %(reason)s") % {"reason": decision}
    )


def _plain_reason(event: ConductEvent) -> str:
    if event.kind == EventKind.FLAG_UPHELD:
        if event.category:
            return _("A flag (%(category)s) on a post was upheld by a moderator") % {
                "category": words.flag_category(event.category)
            }
        return _("A flag on a post was upheld by a moderator")
    if event.kind == EventKind.MODERATOR_WARNING:
        return _("A moderator warning")
    if event.kind == EventKind.POST_REMOVED:
        return _("A post was removed")
    return str(event.get_kind_display())


def event_charge_reason(
    community: Community, event: ConductEvent, trial: TrialCosts | None = None
) -> str:
    """The reason of a charge made from a forum event, as the member reads it, written in the
    community's default language. The post itself is named beside it on the page
    (``post_link``), linked to the forum where the community has one. A charge made under a
    policy on trial says so."""

    def said() -> str:
        reason = _plain_reason(event)
        if trial is not None and event.space_id in trial.space_ids:
            return _(
                "%(reason)s (costed under version %(number)s of the policy, on trial here)"
            ) % {"reason": reason, "number": trial.policy_version}
        return reason

    return in_community_language(community, said)
