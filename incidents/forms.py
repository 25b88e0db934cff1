from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from community.forms import PlainMessages
from community.models import Community, Membership, Space, SpaceKind
from incidents.models import CooldownMode, RoleKind, SevLevel, StepKind
from incidents.services import MAX_SLOW_MODE_SECONDS


class DeclareForm(PlainMessages, forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("What is happening, not who: “Proposals: the vote got heated”."),
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=SevLevel.choices, initial=SevLevel.SEV3
    )
    spaces = forms.ModelMultipleChoiceField(
        label=_("Spaces"), queryset=Space.objects.none(), required=False
    )
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["spaces"].queryset = community.spaces.order_by("name")  # type: ignore[attr-defined]


class MemberChoiceField(forms.ModelChoiceField[Membership]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django's own "- Select an option -" has no Korean yet.
        kwargs.setdefault("empty_label", _("Choose…"))
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Membership) -> str:
        return obj.display_name


class OfferForm(PlainMessages, forms.Form):
    membership = MemberChoiceField(queryset=Membership.objects.none(), label=_("Facilitator"))

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = (  # type: ignore[attr-defined]
            Membership.objects.moderators().filter(community=community, user__isnull=False)
        )


class RoleForm(PlainMessages, forms.Form):
    kind = forms.ChoiceField(
        choices=[c for c in RoleKind.choices if c[0] != RoleKind.FACILITATOR], label=_("Role")
    )
    membership = MemberChoiceField(queryset=Membership.objects.none(), label=_("Person"))

    def __init__(self, *args: Any, community: Community, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = people  # type: ignore[attr-defined]


# No cooldown, check-in or re-check is set further out than a year; the bound keeps the time
# computable (a larger number would overflow the date) and the community's own limit still applies.
MAX_MINUTES = 366 * 24 * 60


def minutes_field(**kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=MAX_MINUTES, **kwargs)


class CooldownForm(PlainMessages, forms.Form):
    space = forms.ModelChoiceField(
        label=_("Space"), queryset=Space.objects.none(), empty_label=_("Choose…")
    )
    mode = forms.ChoiceField(
        label=_("Mode"), choices=CooldownMode.choices, initial=CooldownMode.SLOW_MODE
    )
    slow_mode_seconds = forms.IntegerField(
        min_value=1,
        max_value=MAX_SLOW_MODE_SECONDS,
        required=False,
        initial=120,
        label=_("Slow mode interval (seconds)"),
    )
    duration_minutes = minutes_field(initial=120, label=_("For (minutes)"))

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = community.spaces.order_by("name")  # type: ignore[attr-defined]


class ExtendForm(PlainMessages, forms.Form):
    extra_minutes = minutes_field(initial=30, label=_("Extend by (minutes)"))


class NoteForm(PlainMessages, forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        label=_("Update"),
        help_text=_("What happened or what was decided. It goes on the timeline."),
    )


class ReportForm(PlainMessages, forms.Form):
    space = forms.ModelChoiceField(
        queryset=Space.objects.none(),
        label=gettext_lazy("Which space?"),
        empty_label=gettext_lazy("Choose a space"),
    )
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        label=gettext_lazy("What are you seeing? (optional)"),
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = community.spaces.order_by("name")  # type: ignore[attr-defined]


class DetailsForm(PlainMessages, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    severity = forms.ChoiceField(label=_("Severity"), choices=SevLevel.choices)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    spaces = forms.ModelMultipleChoiceField(
        label=_("Spaces"), queryset=Space.objects.none(), required=False
    )
    parties = forms.CharField(
        label=_("Parties"),
        required=False,
        help_text=_("Names of the members involved, separated by commas. Parties, not culprits."),
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.community = community
        self.fields["spaces"].queryset = community.spaces.order_by("name")  # type: ignore[attr-defined]

    def clean_parties(self) -> list[Membership]:
        names = [n.strip() for n in self.cleaned_data["parties"].split(",") if n.strip()]
        found = {
            m.display_name: m
            for m in Membership.objects.filter(community=self.community, display_name__in=names)
        }
        unknown = [n for n in names if n not in found]
        if unknown:
            raise forms.ValidationError(
                _("Not members here: %(names)s.") % {"names": ", ".join(unknown)}
            )
        return [found[n] for n in dict.fromkeys(names)]


class RunbookForm(PlainMessages, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=120, help_text=_("e.g. “Runbook C: Newcomer welcome”.")
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("When to use it")
    )


class StepForm(PlainMessages, forms.Form):
    """One form for every kind; fields a kind does not use are ignored by the service."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=StepKind.choices)
    duration_minutes = minutes_field(required=False, label=_("Cooldown minutes"))
    mode = forms.ChoiceField(label=_("Mode"), choices=CooldownMode.choices, required=False)
    slow_mode_seconds = forms.IntegerField(
        label=_("Slow mode seconds"), required=False, min_value=1, max_value=MAX_SLOW_MODE_SECONDS
    )
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_(
            "Notice or message. These fill themselves in: {facilitator}, {runbook}, "
            "{space}, {ends_at} (when the cooldown ends) and {name}."
        ),
    )
    after_minutes = minutes_field(required=False, label=_("Check in after (min)"))
    every_minutes = minutes_field(required=False, label=_("Re-check every (min)"))
    only_severities = forms.MultipleChoiceField(
        choices=SevLevel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Only for these severities"),
    )
    only_space_kinds = forms.MultipleChoiceField(
        choices=SpaceKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Only in these kinds of space"),
    )

    CONFIG_FIELDS = (
        "duration_minutes",
        "mode",
        "slow_mode_seconds",
        "text",
        "after_minutes",
        "every_minutes",
    )

    def config(self) -> dict[str, Any]:
        return {
            k: self.cleaned_data[k]
            for k in self.CONFIG_FIELDS
            if self.cleaned_data.get(k) not in (None, "")
        }


class ResolveForm(PlainMessages, forms.Form):
    summary = forms.CharField(
        label=_("Summary"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Two or three calm sentences on how it settled. Anyone can read it on the "
            "status page, so name no one."
        ),
        error_messages={"required": _("Write a short summary of how it was resolved.")},
    )
    version = forms.IntegerField(label=_("Version"), widget=forms.HiddenInput)
