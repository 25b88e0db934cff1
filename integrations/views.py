"""Integrations pages (moderators) and the Discourse webhook endpoint."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from community import words
from community.access import CommunityAccess, access_for_user
from community.http import AuthedHttpRequest
from community.services import ServiceError
from integrations.access import (
    get_connection,
    get_inbound_delivery,
    get_subscription,
    get_webhook_delivery,
    recent_webhook_deliveries,
)
from integrations.discourse import receive
from integrations.discourse.actions import community_forum_actions
from integrations.discourse.connection import (
    check_discourse_connection,
    clear_connection_error,
    connect_discourse,
    update_discourse_mapping,
    webhook_path,
)
from integrations.discourse.process import retry_delivery
from integrations.forms import DiscourseConnectionForm, DiscourseMappingForm, SubscriptionForm
from integrations.models import DiscourseConnection
from integrations.webhooks.delivery import redeliver_webhook
from integrations.webhooks.subscriptions import create_subscription, set_subscription_active


@csrf_exempt  # authenticated by the HMAC signature over the raw body, not by a session
@require_POST
def discourse_webhook(request: HttpRequest, connection_id: str) -> HttpResponse:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > receive.MAX_BODY_BYTES:
        receive.reject_delivery(connection_id, 413, "body too large (declared)")
        return JsonResponse({"status": "body too large"}, status=413)
    try:
        body = request.body
    except RequestDataTooBig:
        return JsonResponse({"status": "body too large"}, status=413)
    result = receive.receive_delivery(
        connection_id=connection_id, headers=request.headers, body=body
    )
    return JsonResponse({"status": result.message}, status=result.status_code)


# --- Moderator page -----------------------------------------------------------------------------


def _mapping_initial(connection: DiscourseConnection) -> dict[str, object]:
    return {
        "category_spaces": "\n".join(f"{k} = {v}" for k, v in connection.category_spaces.items()),
        "flag_severities": "\n".join(
            f"{words.flag_category(k)} = {v}" for k, v in connection.flag_severities.items()
        ),
        "include_private_messages": connection.include_private_messages,
    }


def _render(
    request: AuthedHttpRequest,
    access: CommunityAccess,
    connection: DiscourseConnection | None,
    *,
    partial: str | None = None,
    connection_form: DiscourseConnectionForm | None = None,
    mapping_form: DiscourseMappingForm | None = None,
    subscription_form: SubscriptionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    community = access.community
    if connection_form is None:
        initial = (
            {"base_url": connection.base_url, "api_username": connection.api_username}
            if connection
            else {}
        )
        connection_form = DiscourseConnectionForm(initial=initial)
    if mapping_form is None and connection is not None:
        mapping_form = DiscourseMappingForm(initial=_mapping_initial(connection))
    subscriptions = list(community.webhook_subscriptions.all())
    deliveries = recent_webhook_deliveries(access)
    context = {
        "community": community,
        "access": access,
        "connection": connection,
        "webhook_url": (f"{settings.SITE_URL}{webhook_path(connection)}" if connection else ""),
        "connection_form": connection_form,
        "mapping_form": mapping_form,
        "spaces": community.spaces.filter(parent__isnull=True).order_by("name")[:50],
        "inbound": receive.recent_deliveries(connection) if connection else [],
        "dead_letters": receive.dead_letters(connection) if connection else [],
        "actions": community_forum_actions(community),
        "subscriptions": subscriptions,
        "subscription_form": subscription_form or SubscriptionForm(),
        "deliveries": deliveries,
    }
    template = "integrations/page.html"
    if request.htmx and partial:
        template = f"{template}#{partial}"
        # htmx swaps only 2xx answers: a form with errors comes back as 200 so it is shown.
        status = 200
    return render(request, template, context, status=status)


@login_required
def page(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    connection = get_connection(access)
    return _render(request, access, connection)


def _done(request: AuthedHttpRequest, access: CommunityAccess, partial: str) -> HttpResponse | None:
    if request.htmx:
        return None
    return redirect("integrations:page", slug=access.community.slug)


@login_required
@require_POST
def connect(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    connection = get_connection(access)
    form = DiscourseConnectionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            connection = connect_discourse(
                community=access.community,
                base_url=data["base_url"],
                secret=data["secret"],
                api_key=data["api_key"],
                api_username=data["api_username"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, access, "discourse") or _render(
                request, access, connection, partial="discourse"
            )
    return _render(
        request, access, connection, partial="discourse", connection_form=form, status=400
    )


@login_required
@require_POST
def check_connection(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    connection = get_connection(access)
    if connection is None:
        return HttpResponse("Connect a forum first.", status=400)
    connection = check_discourse_connection(connection=connection)
    return _done(request, access, "discourse") or _render(
        request, access, connection, partial="discourse"
    )


@login_required
@require_POST
def clear_error(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    connection = get_connection(access)
    if connection is None:
        return HttpResponse("Connect a forum first.", status=400)
    connection = clear_connection_error(connection=connection)
    return _done(request, access, "discourse") or _render(
        request, access, connection, partial="discourse"
    )


@login_required
@require_POST
def mapping(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    connection = get_connection(access)
    if connection is None:
        return HttpResponse("Connect a forum first.", status=400)
    form = DiscourseMappingForm(request.POST)
    if form.is_valid():
        try:
            connection = update_discourse_mapping(
                connection=connection,
                category_spaces=form.cleaned_data["category_spaces"],
                flag_severities=form.cleaned_data["flag_severities"],
                include_private_messages=form.cleaned_data["include_private_messages"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, access, "discourse") or _render(
                request, access, connection, partial="discourse"
            )
    connection.refresh_from_db()
    return _render(request, access, connection, partial="discourse", mapping_form=form, status=400)


@login_required
@require_POST
def subscription_create(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    access = access_for_user(request.user, slug)
    connection = get_connection(access)
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        try:
            create_subscription(
                community=access.community,
                url=form.cleaned_data["url"],
                secret=form.cleaned_data["secret"],
                event_types=form.cleaned_data["event_types"],
                description=form.cleaned_data["description"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, access, "webhooks") or _render(
                request, access, connection, partial="webhooks"
            )
    return _render(
        request, access, connection, partial="webhooks", subscription_form=form, status=400
    )


@login_required
@require_POST
def subscription_toggle(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    subscription = get_subscription(access, pk)
    set_subscription_active(subscription=subscription, active=not subscription.active)
    connection = get_connection(access)
    return _done(request, access, "webhooks") or _render(
        request, access, connection, partial="webhooks"
    )


@login_required
@require_POST
def redeliver(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    delivery = get_webhook_delivery(access, pk)
    redeliver_webhook(delivery=delivery)
    connection = get_connection(access)
    return _done(request, access, "webhooks") or _render(
        request, access, connection, partial="webhooks"
    )


@login_required
@require_POST
def retry_inbound(request: AuthedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = access_for_user(request.user, slug)
    delivery = get_inbound_delivery(access, pk)
    try:
        retry_delivery(delivery=delivery)
    except ServiceError as exc:
        return HttpResponse(str(exc), status=400)
    connection = get_connection(access)
    return _done(request, access, "discourse") or _render(
        request, access, connection, partial="discourse"
    )
