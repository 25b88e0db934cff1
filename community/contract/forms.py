"""Forms of the contract editor. They parse; the services (``community.contract.services``)
validate the definition and change things."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from community import words
from community.contract.slo import (
    DEFAULT_ALERT_RULES,
    AlertRule,
    ClauseDefinition,
    Severity,
    parse_window,
    window_label,
)
from community.forms import PercentField, PlainMessages
from community.models import Community, Space
from community.tiers import Tier
from community.vocabulary import EventKind

RULES_HELP = _(
    "One rule per line: name, page or ticket, budget share in %, long window, short window. "
    "E.g. “fast-burn page 2 1h 5m” fires when the budget burns 2 % within an hour."
)


def rules_text(rules: tuple[AlertRule, ...] | list[AlertRule]) -> str:
    return "\n".join(
        f"{words.alert_rule_token(r.name)} {r.severity} {words.rounded(r.budget_percent, 4)} "
        f"{window_label(r.long_minutes)} "
        f"{window_label(r.short_minutes)}"
        for r in rules
    )


def parse_rules(text: str) -> list[AlertRule]:
    rules = []
    for n, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
        parts = line.split()
        if len(parts) != 5:
            raise forms.ValidationError(
                _("Line %(n)s: write five things, e.g. “fast-burn page 2 1h 5m”.") % {"n": n}
            )
        name, severity, percent, long, short = parts
        if severity not in Severity.__members__.values():
            raise forms.ValidationError(
                _("Line %(n)s: the severity is “page” or “ticket”.") % {"n": n}
            )
        try:
            budget = Decimal(percent.rstrip("%"))
            rules.append(
                AlertRule(
                    words.alert_rule_from_token(name),
                    Severity(severity),
                    budget,
                    parse_window(long),
                    parse_window(short),
                )
            )
        except ValueError as exc:
            raise forms.ValidationError(_("Line %(n)s: %(exc)s.") % {"n": n, "exc": exc}) from None
        except ArithmeticError:
            raise forms.ValidationError(
                _("Line %(n)s: “%(percent)s” is not a number.") % {"n": n, "percent": percent}
            ) from None
    return rules


def _categories(text: str) -> tuple[str, ...]:
    """Flag categories as typed, in words or not: "off topic, spam" or ``off_topic spam``."""
    pieces = text.split(",") if "," in text or "_" not in text else text.split()
    return tuple(words.category_identifier(p) for p in pieces if p.strip())


class ClauseForm(PlainMessages, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    wording = forms.CharField(
        label=_("Wording"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The norm in plain words, as members will read it."),
    )
    total_kinds = forms.MultipleChoiceField(
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["post"],
        label=_("Counts as total"),
        help_text=_("What the clause is measured over; usually posts."),
    )
    bad_kinds = forms.MultipleChoiceField(
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["flag_upheld"],
        label=_("Counts as bad"),
    )
    bad_categories = forms.CharField(
        required=False,
        label=_("Only these flag categories"),
        help_text=_("E.g. inappropriate, off topic. Empty means every category."),
    )
    spaces = forms.ModelMultipleChoiceField(
        label=_("Spaces"),
        queryset=Space.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty to measure the whole community."),
    )
    per_space = forms.BooleanField(
        required=False, initial=True, label=_("Also show each space on its own")
    )
    target = PercentField(
        initial=Decimal("0.98"),
        label=_("Target (%)"),
        help_text=_("A percentage: 98 means that 98 % (of posts) meet the norm."),
        error_messages={"required": str(words.TARGET_REFUSED)},
    )
    window_days = forms.IntegerField(initial=30, label=_("Rolling window (days)"))
    min_bad_events = forms.IntegerField(
        initial=3,
        label=_("Bad events needed before an alert"),
        help_text=_("Quiet spaces are bursty: one flag in a quiet hour is not an alert."),
    )
    alert_rules = forms.CharField(
        label=_("Alert rules"),
        widget=forms.Textarea(attrs={"rows": 3}),
        initial=rules_text(DEFAULT_ALERT_RULES),
        help_text=RULES_HELP,
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["spaces"].queryset = Space.objects.filter(community=community)  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, definition: ClauseDefinition) -> dict[str, Any]:
        return {
            "title": definition.title,
            "wording": definition.wording,
            "total_kinds": list(definition.total_kinds),
            "bad_kinds": list(definition.bad_kinds),
            "bad_categories": words.flag_categories(definition.bad_categories),
            "spaces": list(definition.spaces),
            "per_space": definition.per_space,
            "target": definition.target,
            "window_days": definition.window_days,
            "min_bad_events": definition.min_bad_events,
            "alert_rules": rules_text(definition.alert_rules),
        }

    def clean_alert_rules(self) -> list[AlertRule]:
        return parse_rules(self.cleaned_data["alert_rules"])

    def definition(self, *, total_categories: tuple[str, ...] = ()) -> ClauseDefinition:
        data = self.cleaned_data
        return ClauseDefinition(
            title=data["title"],
            wording=data["wording"],
            total_kinds=tuple(data["total_kinds"]),
            total_categories=total_categories,
            bad_kinds=tuple(data["bad_kinds"]),
            bad_categories=_categories(data["bad_categories"]),
            spaces=tuple(sorted(s.pk for s in data["spaces"])),
            per_space=data["per_space"],
            target=data["target"],
            window_days=data["window_days"],
            alert_rules=tuple(data["alert_rules"]),
            min_bad_events=data["min_bad_events"],
        )

    def add_service_errors(self, errors: list[tuple[str, str]]) -> None:
        for field, message in errors:
            name = field.split("[")[0].split(".")[0]
            self.add_error(name if name in self.fields else None, message)


class DraftForm(PlainMessages, forms.Form):
    preamble = forms.CharField(
        label=_("Preamble"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Why the community has this contract, in its own words."),
    )
    healthy = forms.CharField(
        label=_("When a clause is healthy"), widget=forms.Textarea(attrs={"rows": 2})
    )
    warning = forms.CharField(
        label=_("When it is at warning"), widget=forms.Textarea(attrs={"rows": 2})
    )
    critical = forms.CharField(
        label=_("When it is critical"), widget=forms.Textarea(attrs={"rows": 2})
    )
    exhausted = forms.CharField(
        label=_("When its budget is exhausted"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def policy(self) -> dict[str, str]:
        return {tier.value: self.cleaned_data[tier.value] for tier in Tier}


class PublishForm(PlainMessages, forms.Form):
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("What changed"),
        help_text=_("Members read this in the version history."),
    )
    # What the person reviewed (``draft_fingerprint``): publishing refuses if the draft changed.
    draft = forms.CharField(
        label=_("Draft"), widget=forms.HiddenInput, required=False, max_length=64
    )


class ImportForm(PlainMessages, forms.Form):
    document = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        label=_("OpenSLO document (YAML)"),
    )


class TranslationForm(PlainMessages, forms.Form):
    """A clause's title and text in one other language (prefixed with its code, so each
    language's form on the page has its own ids)."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    text = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Leave both empty to remove this language: members then read the clause's own words."
        ),
    )

    def __init__(self, data: Any = None, *, language: str, **kwargs: Any) -> None:
        super().__init__(data, prefix=language, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["lang"] = language

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("text") or "").strip() and not (data.get("title") or "").strip():
            self.add_error("title", _("Give the title in this language too."))
        return data

    def add_service_errors(self, errors: list[tuple[str, str]]) -> None:
        for field, message in errors:
            self.add_error(field if field in self.fields else None, message)
