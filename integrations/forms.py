from __future__ import annotations

from typing import Any

from django import forms

from community import words
from community.forms import PlainMessages
from community.models import DomainEventType
from integrations.models import MIN_SECRET_LENGTH


class DiscourseConnectionForm(PlainMessages, forms.Form):
    base_url = forms.URLField(
        label="Forum address", help_text="e.g. https://forum.example.org", assume_scheme="https"
    )
    secret = forms.CharField(
        label="Webhook secret",
        required=False,
        min_length=MIN_SECRET_LENGTH,
        widget=forms.PasswordInput(render_value=False),
        help_text=f"At least {MIN_SECRET_LENGTH} characters; paste the same into Discourse. "
        "Leave empty to keep the current one.",
    )
    api_key = forms.CharField(
        label="API key",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="For cooldowns and notices. Leave empty to keep the current one.",
    )
    api_username = forms.CharField(
        label="Acts as (username)", required=False, help_text="e.g. system"
    )


def _pairs(text: str, field: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise forms.ValidationError(f"Line {n}: write it as key = value.")
        key, value = (part.strip() for part in line.split("=", 1))
        if not key or not value:
            raise forms.ValidationError(f"Line {n}: both sides are needed.")
        pairs[key] = value
    if not pairs and field == "flag_severities":
        raise forms.ValidationError("Give at least one flag type.")
    return pairs


class DiscourseMappingForm(PlainMessages, forms.Form):
    category_spaces = forms.CharField(
        label="Categories to spaces",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: Discourse category id = space id here, e.g. 7 = 12. "
        "Unmapped categories get a space of their own.",
    )
    flag_severities = forms.CharField(
        label="Flag type severities",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line: flag type = minor, moderate or severe. "
        "“Another reason” covers any flag type not listed.",
    )
    include_private_messages = forms.BooleanField(
        required=False, label="Count private messages as activity"
    )

    def clean_category_spaces(self) -> dict[str, int]:
        pairs = _pairs(self.cleaned_data["category_spaces"], "category_spaces")
        try:
            return {key: int(value) for key, value in pairs.items()}
        except ValueError:
            raise forms.ValidationError("Space ids are numbers.") from None

    def clean_flag_severities(self) -> dict[str, str]:
        """Flag types in words ("off topic") or as Discourse names them (``off_topic``)."""
        pairs = _pairs(self.cleaned_data["flag_severities"], "flag_severities")
        return {words.category_identifier(key): value for key, value in pairs.items()}


class SubscriptionForm(PlainMessages, forms.Form):
    url = forms.URLField(label="Receiver URL", assume_scheme="https", max_length=500)
    secret = forms.CharField(
        min_length=MIN_SECRET_LENGTH,
        widget=forms.PasswordInput(render_value=False),
        help_text="We sign every body with it (X-CSRE-Signature: sha256=…).",
    )
    event_types = forms.MultipleChoiceField(
        choices=DomainEventType.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The connection form on the same page has a secret too: ids stay unique.
        kwargs.setdefault("auto_id", "id_subscription_%s")
        super().__init__(*args, **kwargs)
        self.fields["event_types"].initial = [
            DomainEventType.INCIDENT_DECLARED,
            DomainEventType.COOLDOWN_STARTED,
        ]
