"""The form that asks for a replay from the page: a clause's saved draft, a draft budget policy
(only the settings to change), or both, a runbook to try on the alerts' incidents, and the
period. It parses; ``services.request_replay`` checks everything else."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.forms import PlainMessages
from community.vocabulary import FRICTION_KINDS

SEVERITIES = ("minor", "moderate", "severe")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

# Where a refusal of the service lands on this form.
FIELDS = {
    "from": "start",
    "to": "end",
    "runbook_id": "runbook",
    "policy.window_days": "window_days",
    "policy.member_target": "member_target",
    "policy.floor_points": "floor_points",
    "policy.costs": "cost_moderate",
}


class ReplayForm(PlainMessages, forms.Form):
    clause = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label=gettext_lazy("Clause"),
        help_text=gettext_lazy(
            "Its saved draft is tried; leave empty to try only a budget policy."
        ),
    )
    runbook = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label=gettext_lazy("Runbook to try on the incidents the alerts would have opened"),
    )
    start = forms.DateTimeField(
        required=False,
        label=gettext_lazy("From"),
        widget=DATETIME,
        help_text=gettext_lazy("Empty: 30 days before the end."),
    )
    end = forms.DateTimeField(
        required=False,
        label=gettext_lazy("To"),
        widget=DATETIME,
        help_text=gettext_lazy("Empty: now."),
    )
    window_days = forms.IntegerField(
        required=False,
        label=gettext_lazy("Budget window (days)"),
        help_text=gettext_lazy("Empty: as it is now."),
    )
    member_target = forms.CharField(
        required=False,
        max_length=20,
        label=gettext_lazy("Member target"),
        help_text=gettext_lazy(
            "A fraction such as 0.95; “none” for a fixed allowance; empty: as it is now."
        ),
    )
    floor_points = forms.CharField(
        required=False,
        max_length=20,
        label=gettext_lazy("Floor (points)"),
        help_text=gettext_lazy("Empty: as it is now."),
    )
    cost_minor = forms.CharField(
        required=False, max_length=20, label=gettext_lazy("Cost of a minor slip")
    )
    cost_moderate = forms.CharField(
        required=False, max_length=20, label=gettext_lazy("Cost of a moderate slip")
    )
    cost_severe = forms.CharField(
        required=False,
        max_length=20,
        label=gettext_lazy("Cost of a severe slip"),
        help_text=gettext_lazy("Costs apply to every kind of friction; give all three or none."),
    )

    def __init__(
        self,
        *args: Any,
        clauses: list[tuple[int, str]],
        runbooks: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clause"].choices = [("", _("No clause: only the budget policy")), *clauses]  # type: ignore[attr-defined]
        self.fields["runbook"].choices = [("", _("None")), *runbooks]  # type: ignore[attr-defined]

    def policy(self) -> dict[str, Any] | None:
        """The draft policy's changes, or None when no policy setting was given."""
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        if data.get("window_days") is not None:
            changes["window_days"] = data["window_days"]
        target = (data.get("member_target") or "").strip()
        if target:
            changes["member_target"] = None if target.lower() == "none" else target
        if (data.get("floor_points") or "").strip():
            changes["floor_points"] = data["floor_points"].strip()
        costs = {s: (data.get(f"cost_{s}") or "").strip() for s in SEVERITIES}
        if any(costs.values()):
            changes["costs"] = {kind: dict(costs) for kind in sorted(FRICTION_KINDS)}
        return changes or None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        costs = [(data.get(f"cost_{s}") or "").strip() for s in SEVERITIES]
        if any(costs) and not all(costs):
            self.add_error("cost_severe", _("Give the three costs, or none to keep them."))
        if not self.errors and data.get("clause") is None and self.policy() is None:
            self.add_error("clause", _("Choose a clause, change a budget setting, or both."))
        return data

    def refuse(self, field: str, message: str) -> None:
        """Put a refusal of the service on the field it is about."""
        target = FIELDS.get(field, "clause" if field.startswith("clause") else None)
        self.add_error(target, message)
