"""Pages of the spine: community list and home, creating a community, moderator settings."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from community.access import get_community_for_user
from community.forms import ApiKeyForm, CommunityForm
from community.http import AuthedHttpRequest, HtmxHttpRequest
from community.models import ApiKey, Community, Heartbeat, Visibility
from community.services import ServiceError, create_api_key, create_community, revoke_api_key
from community.vocabulary import ACTIVITY_KINDS, FRICTION_KINDS


def index(request: HtmxHttpRequest) -> HttpResponse:
    visible = Q(visibility=Visibility.PUBLIC)
    if request.user.is_authenticated:
        visible |= Q(memberships__user=request.user)
    communities = Community.objects.filter(visible).distinct().order_by("name")
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
            messages.success(request, f"{community.name} is ready. You are its first admin.")
            return redirect(community)
    return render(request, "community/create.html", {"form": form})


def home(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = get_community_for_user(request.user, slug)
    community = access.community
    since = timezone.now() - timedelta(days=30)
    recent = Q(events__occurred_at__gt=since)
    spaces = community.spaces.annotate(
        posts=Count("events", filter=recent & Q(events__kind__in=ACTIVITY_KINDS)),
        friction=Count("events", filter=recent & Q(events__kind__in=FRICTION_KINDS)),
    ).order_by("-posts", "name")
    return render(
        request,
        "community/home.html",
        {
            "access": access,
            "community": community,
            "spaces": spaces,
            "member_count": community.memberships.count(),
        },
    )


@login_required
def settings_page(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = get_community_for_user(request.user, slug, moderate=True)
    return _render_settings(request, access.community, ApiKeyForm(), new_key=None)


def _render_settings(
    request: AuthedHttpRequest, community: Community, form: ApiKeyForm, new_key: str | None
) -> HttpResponse:
    context = {
        "community": community,
        "access": get_community_for_user(request.user, community.slug, moderate=True),
        "keys": community.api_keys.select_related("created_by"),
        "form": form,
        "new_key": new_key,
        "heartbeats": Heartbeat.objects.all(),
    }
    template = "community/settings.html#api-keys" if request.htmx else "community/settings.html"
    return render(request, template, context)


@login_required
@require_POST
def api_key_create(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = get_community_for_user(request.user, slug, moderate=True)
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
    access = get_community_for_user(request.user, slug, moderate=True)
    key = get_object_or_404(ApiKey, community=access.community, pk=key_id)
    revoke_api_key(key=key)
    if not request.htmx:
        messages.info(request, f"Key “{key.name}” is revoked. Calls with it now get 401.")
    return _render_settings(request, access.community, ApiKeyForm(), new_key=None)
