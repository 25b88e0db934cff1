"""The notification centre and the notification preferences of one community."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from community.access import access_for_user, get_notification, require_membership
from community.forms import PlainMessages
from community.http import AuthedHttpRequest
from community.language import choose_language, language_for_request, personal_language
from community.models import ALWAYS_IN_APP, Notification, NotificationKind
from community.notifications import (
    Choice,
    choices_for,
    kinds_for,
    mark_all_read,
    mark_read,
    save_preferences,
)
from community.services import ServiceError

PAGE_SIZE = 50


@login_required
def centre(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    membership = require_membership(access)
    notifications = list(Notification.objects.for_recipient(membership)[:PAGE_SIZE])
    context = {
        "access": access,
        "community": access.community,
        "notifications": notifications,
        "unread": sum(1 for n in notifications if not n.is_read),
    }
    template = "community/notifications.html"
    return render(request, f"{template}#notification-list" if request.htmx else template, context)


@login_required
@require_POST
def read(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Mark one notification read and follow its link (the centre's primary action)."""
    access = access_for_user(request.user, slug)
    notification = mark_read(notification=get_notification(access, pk))
    if notification.link.startswith("/") and not notification.link.startswith("//"):
        return redirect(notification.link)
    return redirect("community:notifications", slug=slug)


@login_required
@require_POST
def read_all(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    count = mark_all_read(membership=require_membership(access))
    messages.info(
        request,
        ngettext(
            "Marked %(count)s notification read.", "Marked %(count)s notifications read.", count
        )
        % {"count": count}
        if count
        else _("Nothing was unread."),
    )
    return redirect("community:notifications", slug=slug)


class PreferencesForm(PlainMessages, forms.Form):
    """The person's language, one e-mail box per kind, and an in-app box for kinds that may be
    turned off."""

    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)

    def __init__(
        self,
        *args: object,
        kinds: list[str],
        initial_choices: dict[str, Choice],
        language: str,
        community_language: str,
    ):
        super().__init__(*args)  # type: ignore[arg-type]
        names = dict(settings.LANGUAGES)
        self.fields["language"].choices = [  # type: ignore[attr-defined]
            (
                "",
                _("The community's language (%(language)s)")
                % {"language": names.get(community_language, community_language)},
            ),
            *settings.LANGUAGES,
        ]
        self.fields["language"].initial = language
        self.kinds = kinds
        for kind in kinds:
            choice = initial_choices[kind]
            if kind not in ALWAYS_IN_APP:
                self.fields[f"in_app_{kind}"] = forms.BooleanField(
                    required=False, initial=choice.in_app, label=_("In the app")
                )
            self.fields[f"email_{kind}"] = forms.BooleanField(
                required=False, initial=choice.email, label=_("By e-mail")
            )

    def rows(self) -> list[dict[str, object]]:
        return [
            {
                "kind": kind,
                "label": NotificationKind(kind).label,
                "always": kind in ALWAYS_IN_APP,
                "in_app": self[f"in_app_{kind}"] if kind not in ALWAYS_IN_APP else None,
                "email": self[f"email_{kind}"],
            }
            for kind in self.kinds
        ]

    def _asked_off(self, kind: str) -> bool:
        """The page offers no in-app box for a notice that is always shown, so a value for one
        comes from a crafted request; one that means "off" is passed on, to be refused in words
        by ``save_preferences`` rather than silently ignored."""
        raw = self.data.get(f"in_app_{kind}")
        return isinstance(raw, str) and raw.strip().lower() in {"", "0", "false", "off", "no"}

    def choices(self) -> dict[str, Choice]:
        data = self.cleaned_data
        return {
            kind: Choice(
                in_app=not self._asked_off(kind)
                if kind in ALWAYS_IN_APP
                else bool(data.get(f"in_app_{kind}")),
                email=bool(data.get(f"email_{kind}")),
            )
            for kind in self.kinds
        }


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    membership = require_membership(access)
    kinds = kinds_for(membership)
    form = PreferencesForm(
        request.POST or None,
        kinds=kinds,
        initial_choices=choices_for(membership),
        language=personal_language(request.user.pk) or "",
        community_language=access.community.default_language,
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                save_preferences(membership=membership, choices=form.choices())
                choose_language(user_id=request.user.pk, language=form.cleaned_data["language"])
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            # Said in the language just chosen: the page that follows is in it.
            with translation.override(language_for_request(request)):
                messages.success(request, _("Saved. New notices follow these choices."))
            return redirect("community:notification-preferences", slug=slug)
    return render(
        request,
        "community/notification_preferences.html",
        {"access": access, "community": access.community, "form": form},
        status=400 if request.method == "POST" else 200,
    )
