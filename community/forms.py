from __future__ import annotations

from django import forms

from community.models import ApiKeyScope, Community, Role, Visibility


class CommunityForm(forms.ModelForm[Community]):
    class Meta:
        model = Community
        fields = ("name", "slug", "description", "visibility")
        help_texts = {"slug": "The address: letters, numbers and hyphens (e.g. garden-club)."}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "visibility": forms.RadioSelect(choices=Visibility.choices),
        }


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Where the key will live, e.g. “Discourse bot”."
    )
    scopes = forms.MultipleChoiceField(
        choices=ApiKeyScope.choices, widget=forms.CheckboxSelectMultiple, initial=["read"]
    )


class RoleForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="The person's account name here.")
    role = forms.ChoiceField(choices=Role.choices)
