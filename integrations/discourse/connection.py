"""A community's Discourse connection: connect or update it, map categories and flags, test it,
and build the HTTP client that talks to the forum."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.urls import reverse
from django.utils import timezone

from community.models import Community, Space
from community.services import ServiceError
from community.vocabulary import Severity
from integrations.addresses import require_public_address
from integrations.discourse.client import DiscourseClient
from integrations.http import CallError
from integrations.models import MIN_SECRET_LENGTH, DiscourseConnection

HTTP_TIMEOUT = 10.0


def _clean_base_url(base_url: str) -> str:
    value = base_url.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServiceError("The forum address must start with https:// (or http://).")
    if parts.query or parts.fragment:
        raise ServiceError("The forum address must not carry a query or fragment.")
    require_public_address(value, "forum")
    return value


def connect_discourse(
    *,
    community: Community,
    base_url: str,
    secret: str,
    api_key: str = "",
    api_username: str = "",
) -> DiscourseConnection:
    """Create or update a community's Discourse connection (one per community).

    Secrets are never shown back, so a form saved again arrives with them blank: a blank secret
    keeps the stored one, and a blank API key keeps the stored key as long as a username is
    still given (clearing the username turns actions off and drops the key).
    """
    existing = DiscourseConnection.objects.filter(community=community).first()
    if existing is not None:
        secret = secret or existing.webhook_secret
        if api_username and not api_key:
            api_key = existing.api_key
    url = _clean_base_url(base_url)
    if len(secret) < MIN_SECRET_LENGTH:
        raise ServiceError(
            f"The webhook secret must be at least {MIN_SECRET_LENGTH} characters "
            "(Discourse requires it)."
        )
    if bool(api_key) != bool(api_username):
        raise ServiceError("Give both the API key and the username it acts as, or neither.")
    if existing is not None:
        forget_cached_connection(existing)
    connection, _ = DiscourseConnection.objects.update_or_create(
        community=community,
        defaults={
            "base_url": url,
            "webhook_secret": secret,
            "api_key": api_key,
            "api_username": api_username,
        },
    )
    return connection


def update_discourse_mapping(
    *,
    connection: DiscourseConnection,
    category_spaces: Mapping[str, int],
    flag_severities: Mapping[str, str],
    include_private_messages: bool,
) -> DiscourseConnection:
    if any(not str(cat).isdigit() for cat in category_spaces):
        raise ServiceError("Discourse category ids are numbers.")
    spaces = set(
        Space.objects.filter(
            community_id=connection.community_id, pk__in=list(category_spaces.values())
        ).values_list("pk", flat=True)
    )
    unknown = [str(pk) for pk in category_spaces.values() if pk not in spaces]
    if unknown:
        raise ServiceError(f"No space with id {', '.join(unknown)} in this community.")
    bad = [f"{k}={v}" for k, v in flag_severities.items() if v not in Severity.values]
    if bad:
        raise ServiceError(
            f"Unknown severity in {', '.join(bad)}; use {', '.join(Severity.values)}."
        )
    connection.category_spaces = {str(k): int(v) for k, v in category_spaces.items()}
    connection.flag_severities = dict(flag_severities)
    connection.include_private_messages = include_private_messages
    connection.save(
        update_fields=["category_spaces", "flag_severities", "include_private_messages"]
    )
    return connection


def webhook_path(connection: DiscourseConnection) -> str:
    return reverse("integrations:discourse-webhook", kwargs={"connection_id": connection.pk})


def client_for(connection: DiscourseConnection) -> DiscourseClient:
    return DiscourseClient(
        base_url=connection.base_url,
        api_key=connection.api_key,
        api_username=connection.api_username,
        timeout=HTTP_TIMEOUT,
    )


def check_discourse_connection(*, connection: DiscourseConnection) -> DiscourseConnection:
    """Ask the forum who we are (``/session/current.json``) or, without a key, ``/site.json``."""
    path = "/session/current.json" if connection.can_act else "/site.json"
    try:
        with client_for(connection) as client:
            data = client.get_json(path)
    except CallError as exc:
        ok, message = False, f"{path}: {exc}"
    else:
        if connection.can_act:
            user = (data or {}).get("current_user") or {}
            ok = bool(user.get("username"))
            message = (
                f"Connected as {user.get('username')}."
                if ok
                else f"{path} answered without a current user: check the API key."
            )
        else:
            ok, message = True, "The forum answered (no API key: actions are off)."
    connection.last_test_ok = ok
    connection.last_test_message = message[:300]
    connection.last_tested_at = timezone.now()
    connection.save(update_fields=["last_test_ok", "last_test_message", "last_tested_at"])
    return connection


def record_permanent_error(*, connection: DiscourseConnection | None, message: str) -> None:
    """Show a permanent forum error at the top of the page until a moderator clears it."""
    if connection is None:
        return
    DiscourseConnection.objects.filter(pk=connection.pk).update(
        last_error=message[:500], last_error_at=timezone.now()
    )


def clear_connection_error(*, connection: DiscourseConnection) -> DiscourseConnection:
    connection.last_error = ""
    connection.last_error_at = None
    connection.save(update_fields=["last_error", "last_error_at"])
    return connection


# Webhook bursts look the same connection up again and again: keep it a few seconds per process.
CONNECTION_CACHE_SECONDS = 5.0
_connections: dict[str, tuple[float, DiscourseConnection]] = {}


def cached_connection(connection_id: str | uuid.UUID) -> DiscourseConnection | None:
    key = str(connection_id)
    now = time.monotonic()
    hit = _connections.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    found = DiscourseConnection.objects.filter(pk=connection_id).first()
    if found is None:
        _connections.pop(key, None)
        return None
    if len(_connections) > 1000:
        _connections.clear()
    _connections[key] = (now + CONNECTION_CACHE_SECONDS, found)
    return found


def forget_cached_connection(connection: DiscourseConnection) -> None:
    _connections.pop(str(connection.pk), None)
