"""Pages of the spine: community list and home, creating a community, moderator settings."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from community.access import access_for_user, get_api_key
from community.attention import home_section
from community.forms import ApiKeyForm, CommunityForm, LanguageSettingsForm, RoleForm
from community.hidden import listed
from community.http import AuthedHttpRequest, HtmxHttpRequest
from community.language import set_community_language
from community.models import (
    MODERATING_ROLES,
    Community,
    ConductEvent,
    Heartbeat,
    Role,
    Visibility,
    bad_event_q,
)
from community.services import (
    ServiceError,
    change_role,
    create_api_key,
    create_community,
    join_community,
    revoke_api_key,
)
from community.vocabulary import ACTIVITY_KINDS, FRICTION_KINDS


def index(request: HtmxHttpRequest) -> HttpResponse:
    visible = Q(visibility=Visibility.PUBLIC)
    if request.user.is_authenticated:
        visible |= Q(memberships__user=request.user)
    communities = listed(Community.objects.filter(visible)).distinct().order_by("name")
    return render(request, "community/index.html", {"communities": communities})


@login_required
@require_http_methods(["GET", "POST"])
def create(request: AuthedHttpRequest) -> HttpResponse:
    form = CommunityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            community = create_community(
                slug=form.cleaned_data["slug"],
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                visibility=form.cleaned_data["visibility"],
                moderator=request.user,
            )
        except ServiceError as exc:
            form.add_error("slug", str(exc))
        else:
            messages.success(
                request, _("%(name)s is ready. You are its first admin.") % {"name": community.name}
            )
            return redirect(community)
    return render(request, "community/create.html", {"form": form})


def home(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    community = access.community
    now = timezone.now()
    since = now - timedelta(days=30)
    recent = Q(events__occurred_at__gt=since)
    spaces = list(
        community.spaces.annotate(
            posts=Count("events", filter=recent & Q(events__kind__in=ACTIVITY_KINDS))
        ).order_by("-posts", "name")
    )
    # Friction counts as the clause SLIs count it: a flag rejected later is not friction.
    friction = dict(
        ConductEvent.objects.filter(community=community, occurred_at__gt=since)
        .filter(bad_event_q(FRICTION_KINDS, community_id=community.pk, as_of=now))
        .values("space")
        .annotate(n=Count("pk"))
        .values_list("space", "n")
    )
    for space in spaces:
        space.friction = friction.get(space.pk, 0)  # type: ignore[attr-defined]
    # The section the page leads with for this person (Needs you, or the member's own home),
    # from the app that owns the data; none for visitors.
    section = home_section(access)
    return render(
        request,
        "community/home.html",
        {
            "section_template": section[0] if section else None,
            **(section[1] if section else {}),
            "access": access,
            "community": community,
            "spaces": spaces,
            "member_count": community.memberships.count(),
        },
    )


@login_required
def settings_page(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    return _render_settings(request, access.community, ApiKeyForm(), new_key=None)


def _render_settings(
    request: AuthedHttpRequest,
    community: Community,
    form: ApiKeyForm,
    new_key: str | None,
    *,
    role_form: RoleForm | None = None,
    partial: str = "api-keys",
    language_form: LanguageSettingsForm | None = None,
) -> HttpResponse:
    context = {
        "language_form": language_form
        or LanguageSettingsForm(
            initial={
                "default_language": community.default_language,
                "allow_browser_language": community.allow_browser_language,
            }
        ),
        "community": community,
        "access": access_for_user(request.user, community.slug, moderate=True),
        "keys": community.api_keys.select_related("created_by"),
        "form": form,
        "new_key": new_key,
        "heartbeats": Heartbeat.objects.all(),
        "team": community.memberships.filter(role__in=MODERATING_ROLES).select_related("user"),
        "role_form": role_form or RoleForm(initial={"role": Role.MODERATOR}),
    }
    template = f"community/settings.html#{partial}" if request.htmx else "community/settings.html"
    return render(request, template, context)


@login_required
@require_POST
def language_settings(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Moderators choose the community's language (community.language)."""
    access = access_for_user(request.user, slug, moderate=True)
    form = LanguageSettingsForm(request.POST)
    if form.is_valid():
        try:
            set_community_language(
                community=access.community,
                default_language=form.cleaned_data["default_language"],
                allow_browser_language=form.cleaned_data["allow_browser_language"],
            )
        except ServiceError as exc:
            form.add_error("default_language", str(exc))
        else:
            messages.success(request, _("Saved. Members who chose no language now read this one."))
            return redirect("community:settings", slug=slug)
    response = _render_settings(
        request, access.community, ApiKeyForm(), new_key=None, language_form=form
    )
    response.status_code = 400
    return response


@login_required
@require_POST
def api_key_create(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    form = ApiKeyForm(request.POST)
    new_key = None
    if form.is_valid():
        try:
            _, new_key = create_api_key(
                community=access.community,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                by=request.user,
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            form = ApiKeyForm()
    return _render_settings(request, access.community, form, new_key=new_key)


@login_required
@require_POST
def api_key_revoke(request: AuthedHttpRequest, slug: str, key_id: str) -> HttpResponse:
    access = access_for_user(request.user, slug, moderate=True)
    key = get_api_key(access, key_id)
    revoke_api_key(key=key)
    if not request.htmx:
        messages.info(
            request, _("Key “%(name)s” is revoked. Calls with it now get 401.") % {"name": key.name}
        )
    return _render_settings(request, access.community, ApiKeyForm(), new_key=None)


@login_required
@require_POST
def join(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    try:
        join_community(community=access.community, user=request.user)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Welcome to %(name)s.") % {"name": access.community.name})
    return redirect(access.community)


@login_required
@require_POST
def role_change(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    """Admins give roles; moderators can see the team but not change it."""
    access = access_for_user(request.user, slug, moderate=True)
    if access.membership is None or access.membership.role != Role.ADMIN:
        raise PermissionDenied("Only this community's admins can change roles.")
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            change_role(
                community=access.community,
                username=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
            )
        except ServiceError as exc:
            form.add_error("username", str(exc))
        else:
            form = RoleForm(initial={"role": Role.MODERATOR})
    return _render_settings(
        request, access.community, ApiKeyForm(), new_key=None, role_form=form, partial="team"
    )
