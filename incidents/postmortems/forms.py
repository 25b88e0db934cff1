"""Forms of the postmortem editor. Targets are entered as percentages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from community.forms import PercentField
from community.models import Clause, ContractVersion, Membership
from incidents.models import Incident, Runbook
from incidents.postmortems.models import ActionKind
from incidents.postmortems.services import ItemFields
from incidents.postmortems.services.action_items import MAX_WINDOW_DAYS


class _Choice(forms.ModelChoiceField[Any]):
    """A choice of one object whose empty choice reads in the reader's language (Django's own
    "- Select an option -" has no Korean yet)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", _("Choose…"))
        super().__init__(*args, **kwargs)


class OwnerField(_Choice):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.display_name


class ClauseField(_Choice):
    def label_from_instance(self, obj: Clause) -> str:
        return obj.title


class VersionField(_Choice):
    def label_from_instance(self, obj: ContractVersion) -> str:
        return _("Version %(number)s: %(summary)s") % {
            "number": obj.number,
            "summary": obj.summary[:60],
        }


class RunbookField(_Choice):
    def label_from_instance(self, obj: Runbook) -> str:
        return obj.name


class ActionItemForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=200, help_text=_("What will change, in a few words.")
    )
    kind = forms.ChoiceField(choices=ActionKind.choices, label=_("Type"))
    owner = OwnerField(label=_("Owner"), queryset=Membership.objects.none())
    due_on = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    verification_criterion = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("How we will know it worked"),
    )
    changes = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("What it changes"),
        help_text=_("For a clause, runbook or alert: the guardrail it strengthens."),
    )
    contract_version = VersionField(
        queryset=ContractVersion.objects.none(), required=False, label=_("Contract version")
    )
    alert_rule = forms.CharField(required=False, max_length=40, label=_("Alert rule"))
    runbook = RunbookField(label=_("Runbook"), queryset=Runbook.objects.none(), required=False)
    verify_clause = ClauseField(
        queryset=Clause.objects.none(), required=False, label=_("Verify against the clause")
    )
    # Typed as a percentage ("98", "98 %", "99.5"), kept as the ratio, refused in words outside
    # 0-100 %: the same field and sentence as the clause form.
    verify_target_percent = PercentField(required=False, label=_("Target (%)"))
    verify_window_days = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_WINDOW_DAYS, label=_("Over (days)")
    )

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community = incident.community
        owners = Membership.objects.filter(community=community).filter(
            pk__in=Membership.objects.moderators().filter(community=community).values("pk")
        ) | Membership.objects.filter(pk__in=incident.parties.values("pk"))
        self.fields["owner"].queryset = owners.order_by("display_name")  # type: ignore[attr-defined]
        self.fields["contract_version"].queryset = ContractVersion.objects.filter(  # type: ignore[attr-defined]
            contract__community=community
        ).order_by("-number")
        self.fields["runbook"].queryset = Runbook.objects.filter(community=community)  # type: ignore[attr-defined]
        self.fields["verify_clause"].queryset = Clause.objects.live().filter(  # type: ignore[attr-defined]
            community=community, retired_at__isnull=True
        )

    def item_fields(self) -> ItemFields:
        data = self.cleaned_data
        return ItemFields(
            title=data["title"],
            kind=data["kind"],
            owner=data["owner"],
            due_on=data["due_on"],
            verification_criterion=data.get("verification_criterion") or "",
            changes=data.get("changes") or "",
            contract_version=data.get("contract_version"),
            runbook=data.get("runbook"),
            alert_rule=(data.get("alert_rule") or "").strip(),
            verify_clause=data.get("verify_clause"),
            verify_target=data.get("verify_target_percent"),
            verify_window_days=data.get("verify_window_days"),
        )


class SettingsForm(forms.Form):
    """Whole numbers only; their bounds are the service's (``services.settings``)."""

    due_hours = forms.IntegerField(
        required=False, label=_("Due, hours after the incident resolved")
    )
    reminder_every_hours = forms.IntegerField(
        required=False, label=_("Remind the facilitator every, in hours")
    )
    escalate_after_hours = forms.IntegerField(
        required=False, label=_("Remind every moderator, hours past the due time")
    )
    objection_window_days = forms.IntegerField(
        required=False, label=_("Days a harmed member has to object to a public summary")
    )
