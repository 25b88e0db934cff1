from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.models import Community, Space
from incidents.gamedays import recordings, scoring
from incidents.models import Runbook


def recording_choices(community: Community) -> list[tuple[str, str]]:
    samples = [
        (f"sample:{k}", _("Sample: %(title)s") % {"title": recordings.sample_title(k)})
        for k in recordings.sample_keys()
    ]
    past = recordings.recording_incidents(community)
    incidents = [
        (f"incident:{i.pk}", _("Past incident: %(title)s") % {"title": i.title}) for i in past[:20]
    ]
    return [*samples, *incidents, (PERIOD, _("A period of this community's history (below)"))]


PERIOD = "period"
AS_IT_HAPPENED = gettext_lazy("As it happened")
LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class StartForm(forms.Form):
    recording = forms.ChoiceField(label=gettext_lazy("Recorded flame war"))
    runbook = forms.ModelChoiceField(
        queryset=Runbook.objects.none(),
        label=gettext_lazy("Runbook to rehearse"),
        empty_label=gettext_lazy("Choose…"),
    )
    period_from = forms.DateTimeField(
        required=False,
        widget=LOCAL,
        label=gettext_lazy("Period from"),
        help_text=gettext_lazy("For a period of history."),
    )
    period_to = forms.DateTimeField(
        required=False,
        widget=LOCAL,
        label=gettext_lazy("Period to"),
        help_text=format_lazy(
            gettext_lazy("At most {days} days after its start, in the past."),
            days=recordings.MAX_PERIOD_DAYS,
        ),
    )
    period_space = forms.ModelChoiceField(
        queryset=Space.objects.none(),
        required=False,
        label=gettext_lazy("In one space"),
        empty_label=gettext_lazy("Everywhere"),
    )
    speed = forms.TypedChoiceField(
        coerce=int,
        choices=[
            (
                s,
                format_lazy(gettext_lazy("{speed} times faster"), speed=s)
                if s > 1
                else AS_IT_HAPPENED,
            )
            for s in scoring.SPEEDS
        ],
        initial=60,
        label=gettext_lazy("Speed"),
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.community = community
        recording_field = self.fields["recording"]
        assert isinstance(recording_field, forms.ChoiceField)
        recording_field.choices = recording_choices(community)
        runbook_field = self.fields["runbook"]
        assert isinstance(runbook_field, forms.ModelChoiceField)
        runbook_field.queryset = Runbook.objects.filter(community=community, is_active=True)
        space_field = self.fields["period_space"]
        assert isinstance(space_field, forms.ModelChoiceField)
        space_field.queryset = Space.objects.filter(community=community).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("recording") == PERIOD:
            for name in ("period_from", "period_to"):
                if not data.get(name):
                    self.add_error(name, _("Give the start and the end of the period to replay."))
        return data

    def chosen_recording(self) -> recordings.Recording:
        data = self.cleaned_data
        if data["recording"] == PERIOD:
            return recordings.from_period(
                community=self.community,
                start=data["period_from"],
                end=data["period_to"],
                space=data.get("period_space"),
            )
        return recordings.choose_recording(community=self.community, choice=data["recording"])
