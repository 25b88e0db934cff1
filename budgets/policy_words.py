"""A budget policy's problems in the reader's language. ``budget_math`` stays free of Django and
says what is wrong as a code and its values; the pages, the API and a policy trial read the
sentences from here (in the language of the request, or of the key's community)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from budgets.budget_math import validate_policy
from community.problems import Problem
from community.vocabulary import FRICTION_KINDS


def problem_words(problem: Problem) -> str:
    """One problem as a sentence."""
    sentences = {
        "window_days": _("The window is a whole number of days from 1 to %(max)s."),
        "member_target": _(
            "The member target is a fraction between 0 and 1 (e.g. 0.95), or empty for a fixed "
            "allowance."
        ),
        "floor_range": _("The floor is more than 0 and at most %(max)s points."),
        "floor_places": _("The floor has at most two decimal places."),
        "costs_shape": _("Costs are given per friction kind and severity."),
        "cost_kind": _("“%(kind)s” is not a friction kind (%(kinds)s)."),
        "cost_severities": _("Give a cost for each severity of %(kind)s: %(severities)s."),
        "cost_value": _(
            "Each cost is a number from 0 to %(max)s with at most two decimals "
            "(%(kind)s: %(severities)s)."
        ),
        "tiers_shape": _("Tier actions are given per tier."),
        "tier_unknown": _("Actions can be set for %(tiers)s; not for “%(tier)s”."),
        "actions": _("Known actions are %(actions)s."),
        "cooldown_hours": _("A cooldown lasts from 1 to %(max)s hours."),
        "appeal_days": _("The appeal period is from 1 to %(max)s days."),
    }
    return sentences[problem.code] % dict(problem.params)


def policy_problems(proposed: Mapping[str, Any]) -> dict[str, str]:
    """Every problem with a proposed policy (all its settings), as {field: sentence}."""
    problems = validate_policy(friction_kinds=FRICTION_KINDS, **proposed)
    return {name: problem_words(problem) for name, problem in problems.items()}


def not_settings(names: Iterable[str]) -> dict[str, str]:
    """Names given that are not settings of the policy, each with its sentence."""
    return {name: _("“%(name)s” is not a policy setting.") % {"name": name} for name in names}


def nothing_changed() -> dict[str, str]:
    """Saving (or trying) the settings the policy already has."""
    return {"policy": _("Nothing changed: the policy already has these settings.")}
