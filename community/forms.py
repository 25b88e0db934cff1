from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from community import words
from community.models import ApiKeyScope, Community, Role, Visibility


def _plain_messages(field: forms.Field, label: str) -> dict[str, str]:
    """Plain sentences, naming the field, for the messages Django would give by default."""
    many = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
    whole = isinstance(field, forms.IntegerField)
    return {
        "required": f"Choose at least one for “{label}”." if many else f"Please fill in “{label}”.",
        "invalid": f"“{label}” needs a whole number."
        if whole
        else f"“{label}” needs a number."
        if isinstance(field, forms.DecimalField | forms.FloatField)
        else f"“{label}” needs a web address such as https://forum.example.org."
        if isinstance(field, forms.URLField)
        else f"“{label}” is not in a form we can read.",
        "max_value": f"“{label}” can be at most %(limit_value)s.",
        "min_value": f"“{label}” must be at least %(limit_value)s.",
        "max_length": f"“{label}” can be at most %(limit_value)s characters.",
        "min_length": f"“{label}” needs at least %(limit_value)s characters.",
        "max_digits": f"“{label}” is a larger number than we can keep.",
        "max_whole_digits": f"“{label}” is a larger number than we can keep.",
        "max_decimal_places": f"“{label}” has more decimals than we keep (%(max)s at most).",
        "invalid_choice": f"Choose one of the options offered for “{label}”.",
        "invalid_list": f"Choose from the options offered for “{label}”.",
        "invalid_pk_value": f"Choose one of the options offered for “{label}”.",
    }


def _defaults(field: forms.Field) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for cls in reversed(type(field).__mro__):
        merged.update(getattr(cls, "default_error_messages", {}))
    return merged


class PlainMessages(forms.BaseForm):
    """Mix into a form so that none of Django's default messages ("This field is required.",
    "Ensure that there are no more than 1 digit before the decimal point.") reaches a person:
    each becomes a plain sentence naming the field. Messages a field sets itself are kept."""

    def full_clean(self) -> None:
        for name, field in self.fields.items():
            label = str(field.label or name.replace("_", " ").capitalize()).rstrip(":")
            defaults = _defaults(field)
            for code, message in _plain_messages(field, label).items():
                if code in field.error_messages and field.error_messages[code] == defaults.get(
                    code
                ):
                    field.error_messages[code] = message
        super().full_clean()


class PercentField(forms.CharField):
    """A target typed as a percentage ("98", "98 %", "99.5"), kept as the ratio (0.98); one
    outside 0 to 100 % is refused in words (``community.words.parse_percent``)."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return words.parse_percent(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return words.rounded(value * 100, 4)
        return value


class CommunityForm(PlainMessages, forms.ModelForm[Community]):
    class Meta:
        model = Community
        fields = ("name", "slug", "description", "visibility")
        help_texts = {"slug": _("The address: letters, numbers and hyphens (e.g. garden-club).")}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "visibility": forms.RadioSelect(choices=Visibility.choices),
        }


class ApiKeyForm(PlainMessages, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where the key will live, e.g. “Discourse bot”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=ApiKeyScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
    )


class RoleForm(PlainMessages, forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, help_text=_("The person's account name here.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
