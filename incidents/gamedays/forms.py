from __future__ import annotations

from typing import Any

from django import forms

from community.models import Community
from incidents.gamedays import recordings, scoring
from incidents.models import Runbook


def recording_choices(community: Community) -> list[tuple[str, str]]:
    samples = [
        (f"sample:{k}", f"Sample: {recordings.sample_title(k)}") for k in recordings.sample_keys()
    ]
    past = recordings.recording_incidents(community)
    return samples + [(f"incident:{i.pk}", f"Past incident: {i.title}") for i in past[:20]]


class StartForm(forms.Form):
    recording = forms.ChoiceField(label="Recorded flame war")
    runbook = forms.ModelChoiceField(queryset=Runbook.objects.none(), label="Runbook to rehearse")
    speed = forms.TypedChoiceField(
        coerce=int,
        choices=[(s, f"{s} times faster" if s > 1 else "As it happened") for s in scoring.SPEEDS],
        initial=60,
        label="Speed",
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

    def chosen_recording(self) -> recordings.Recording:
        return recordings.choose_recording(
            community=self.community, choice=self.cleaned_data["recording"]
        )
