from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community import words
from community.models import ApiKeyScope, Community, Role, Visibility


def _plain_messages(field: forms.Field, label: str) -> dict[str, str]:
    """Plain sentences, naming the field, for the messages Django would give by default (in the
    language of the request; Django fills in the limits it names)."""
    many = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
    whole = isinstance(field, forms.IntegerField)
    named = {"label": label, "limit_value": "%(limit_value)s", "max": "%(max)s"}
    if many:
        required = _("Choose at least one for “%(label)s”.")
    else:
        required = _("Please fill in “%(label)s”.")
    if whole:
        invalid = _("“%(label)s” needs a whole number.")
    elif isinstance(field, forms.DecimalField | forms.FloatField):
        invalid = _("“%(label)s” needs a number.")
    elif isinstance(field, forms.URLField):
        invalid = _("“%(label)s” needs a web address such as https://forum.example.org.")
    else:
        invalid = _("“%(label)s” is not in a form we can read.")
    too_large = _("“%(label)s” is a larger number than we can keep.")
    choose = _("Choose one of the options offered for “%(label)s”.")
    messages = {
        "required": required,
        "invalid": invalid,
        "max_value": _("“%(label)s” can be at most %(limit_value)s."),
        "min_value": _("“%(label)s” must be at least %(limit_value)s."),
        "max_length": _("“%(label)s” can be at most %(limit_value)s characters."),
        "min_length": _("“%(label)s” needs at least %(limit_value)s characters."),
        "max_digits": too_large,
        "max_whole_digits": too_large,
        "max_decimal_places": _("“%(label)s” has more decimals than we keep (%(max)s at most)."),
        "invalid_choice": choose,
        "invalid_list": _("Choose from the options offered for “%(label)s”."),
        "invalid_pk_value": choose,
    }
    return {code: message % named for code, message in messages.items()}


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
        help_texts = {
            "slug": gettext_lazy("The address: letters, numbers and hyphens (e.g. garden-club).")
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "visibility": forms.RadioSelect(choices=Visibility.choices),
        }


class LanguageSettingsForm(PlainMessages, forms.Form):
    default_language = forms.ChoiceField(
        label=gettext_lazy("Language of the community"),
        choices=settings.LANGUAGES,
        help_text=gettext_lazy("Members who chose no language of their own read this one."),
    )
    allow_browser_language = forms.BooleanField(
        label=gettext_lazy("Let each visitor's browser choose, when we have their language"),
        required=False,
    )


class ApiKeyForm(PlainMessages, forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Where the key will live, e.g. “Discourse bot”."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        choices=ApiKeyScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
    )


class RoleForm(PlainMessages, forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=150,
        help_text=gettext_lazy("The person's account name here."),
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
