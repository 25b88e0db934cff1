"""The circle's forms. They parse and validate input only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Membership
from incidents.postmortems.models import ObligationOf, ParticipantRole


def first_error(form: forms.Form) -> str:
    """One plain sentence for a form that did not validate."""
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return "Check the form and try again."


def _member_label(membership: Membership) -> str:
    return membership.display_name


class InviteForm(forms.Form):
    membership = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        empty_label=_("Choose…"),
        label=_("Member"),
        error_messages={"required": _("Choose the member to invite.")},
    )
    role = forms.ChoiceField(
        choices=ParticipantRole.choices,
        label=_("Role"),
        error_messages={"required": _("Choose their role in the circle.")},
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = members
        field.label_from_instance = _member_label  # type: ignore[method-assign,assignment]


class HarmForm(forms.Form):
    harmed = forms.IntegerField(
        label=_("Harmed"), error_messages={"required": _("Choose who was harmed.")}
    )
    harm = forms.CharField(
        max_length=4000,
        label=_("What they went through"),
        error_messages={"required": _("Write what they went through.")},
    )
    need = forms.CharField(
        max_length=4000,
        label=_("What they need"),
        error_messages={"required": _("Write what they need.")},
    )
    obligation_of = forms.ChoiceField(
        choices=ObligationOf.choices,
        label=_("Whose obligation"),
        error_messages={"required": _("Say whose obligation it is.")},
    )
    obligated = forms.IntegerField(label=_("Obligated"), required=False)


class AskForm(forms.Form):
    responsible = forms.IntegerField(
        label=_("Responsible"), error_messages={"required": _("Choose whom to ask.")}
    )
    ask = forms.CharField(
        max_length=4000,
        label=_("What would help"),
        error_messages={"required": _("Write what would help you.")},
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        max_length=4000,
        label=_("Your answer"),
        error_messages={"required": _("Write your answer.")},
    )


class ReviewForm(forms.Form):
    satisfied = forms.ChoiceField(
        label=_("Satisfied"),
        choices=(("yes", "This answer helps"), ("no", "Something is still missing")),
        error_messages={"required": _("Say whether the answer helps.")},
    )
    review = forms.CharField(max_length=4000, required=False, label=_("Your words"))


class AgreementForm(forms.Form):
    text = forms.CharField(
        max_length=4000,
        label=_("What is agreed"),
        error_messages={"required": _("Write what is agreed.")},
    )
    owner = forms.IntegerField(
        required=False, label=_("Owner"), error_messages={"invalid": _("Choose the owner.")}
    )
    due_on = forms.DateField(
        required=False,
        label=_("Due date"),
        error_messages={"invalid": _("Give the due date as a date, like 2026-12-24.")},
    )
    harm = forms.IntegerField(label=_("Harm"), required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        label="Why it is withdrawn",
        error_messages={"required": "Say why the agreement is withdrawn; the circle reads it."},
    )


class ReviseForm(forms.Form):
    text = forms.CharField(
        max_length=4000,
        label="The new wording",
        error_messages={"required": "Write what is agreed."},
    )
    owner = forms.IntegerField(
        required=False, label="Owner", error_messages={"invalid": "Choose the owner."}
    )
    due_on = forms.DateField(
        required=False,
        label="Due date",
        error_messages={"invalid": "Give the due date as a date, like 2026-12-24."},
    )


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=(("kept", "Kept"), ("not_kept", "Not kept")),
        error_messages={"required": _("Say whether it was kept.")},
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class SummaryAnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=(("approve", "Approve"), ("object", "Object")),
        error_messages={"required": _("Approve the summary or object to it.")},
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)
