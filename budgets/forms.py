from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from budgets.budget_math import ACTION_TIERS, SEVERITIES, Action
from budgets.models import ForgivenessPolicy
from community import words
from community.forms import PercentField, PlainMessages
from community.vocabulary import FRICTION_KINDS, EventKind


class AppealForm(PlainMessages, forms.Form):
    statement = forms.CharField(
        label=gettext_lazy("Why is this charge wrong?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "In your own words. A moderator reads it and answers with a reason."
        ),
    )


# An appeal's two outcomes, said the same way everywhere ("upheld" would be ambiguous: an
# upheld flag keeps a charge, an upheld appeal reversed it).
REVERSE, STANDS = "reverse", "stands"


class DecisionForm(PlainMessages, forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[
            (REVERSE, _("Charge reversed: it no longer counts")),
            (STANDS, _("Charge stands: it still counts")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether the charge is reversed or stands.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        error_messages={"required": _("Give a reason the member can read.")},
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The member reads this."),
    )


class GraceForm(PlainMessages, forms.Form):
    reason = forms.CharField(
        label=_("Why forgive it?"), max_length=500, help_text=_("The member reads this.")
    )


ACTION_CHOICES = [(a, words.tier_action(a)) for a in Action.ALL]

# The words for the stored tier and severity names the policy's labels use.
TIER_WORDS = {"warning": _("warning"), "critical": _("critical"), "exhausted": _("exhausted")}
SEVERITY_WORDS = {"minor": _("minor"), "moderate": _("moderate"), "severe": _("severe")}


def _cost_field(kind: str, severity: str) -> str:
    return f"cost__{kind}__{severity}"


def _actions_field(tier: str) -> str:
    return f"actions__{tier}"


class PolicyForm(PlainMessages, forms.Form):
    """The policy as a flat form; ``changes()`` gives the service its nested shape. Ranges
    are checked by the service (``forgiveness.validate_policy``), one place for the rules."""

    window_days = forms.IntegerField(label=_("Window (days)"), help_text=_("1 to 365."))
    member_target = PercentField(
        label=_("Member target (%)"),
        required=False,
        help_text=_(
            "A percentage, e.g. 95: the allowance grows by 0.05 points per post. Empty: "
            "a fixed allowance of the floor."
        ),
    )
    floor_points = forms.DecimalField(
        label=_("Floor (points)"),
        max_digits=8,
        decimal_places=2,
        help_text=_("Everyone has at least this."),
    )
    cooldown_hours = forms.IntegerField(label=_("Member cooldown (hours)"))
    appeal_days = forms.IntegerField(label=_("Appeal period (days)"))
    note = forms.CharField(label=_("What changed and why"), max_length=300, required=False)

    def __init__(self, *args: Any, policy: ForgivenessPolicy, **kwargs: Any) -> None:
        initial: dict[str, Any] = {
            "window_days": policy.window_days,
            "member_target": policy.member_target,
            "floor_points": policy.floor_points,
            "cooldown_hours": policy.cooldown_hours,
            "appeal_days": policy.appeal_days,
        }
        for kind in sorted(FRICTION_KINDS):
            for severity in SEVERITIES:
                initial[_cost_field(kind, severity)] = policy.cost_for(kind, severity)
        for tier in ACTION_TIERS:
            initial[_actions_field(tier)] = policy.actions_for(tier)
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for kind in sorted(FRICTION_KINDS):
            for severity in SEVERITIES:
                self.fields[_cost_field(kind, severity)] = forms.DecimalField(
                    label=_("%(kind)s, %(severity)s")
                    % {
                        "kind": EventKind(kind).label,
                        "severity": SEVERITY_WORDS.get(severity, severity),
                    },
                    max_digits=7,
                    decimal_places=2,
                )
        for tier in ACTION_TIERS:
            self.fields[_actions_field(tier)] = forms.MultipleChoiceField(
                label=_("When a budget becomes %(tier)s") % {"tier": TIER_WORDS.get(tier, tier)},
                choices=ACTION_CHOICES,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def cost_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("cost__")]

    def action_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("actions__")]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "window_days": data["window_days"],
            "member_target": data["member_target"],
            "floor_points": data["floor_points"],
            "cooldown_hours": data["cooldown_hours"],
            "appeal_days": data["appeal_days"],
            "costs": {
                kind: {sev: data[_cost_field(kind, sev)] for sev in SEVERITIES}
                for kind in sorted(FRICTION_KINDS)
            },
            "tier_actions": {tier: data[_actions_field(tier)] for tier in ACTION_TIERS},
        }
