"""Write the audit log: one entry for every state-changing request by an identified actor.

At the door rather than in each service, so no new page or endpoint can forget it: a POST, PUT,
PATCH or DELETE by a signed-in person or through an API key is recorded with who, which community,
what (the URL's name and parameters), the outcome (status code) and the request id that ties it
to the logs. Refused attempts are recorded too: a run of 403s is worth seeing. Not recorded: reads,
anonymous requests (the signed Discourse webhook), and the high-volume ingest of conduct events,
which is its own record (every event is stored with its source).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from community.models import ApiKey, AuditEntry, Community
from config.observability import request_id_var
from config.throttling import client_address

logger = logging.getLogger(__name__)

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# URL names whose writes are their own record.
NOT_AUDITED = frozenset({"api:events"})


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in WRITES:
            return self.get_response(request)
        # Whoever was signed in when the request arrived (a logout still names them).
        user = _person(request)
        response = self.get_response(request)
        key: ApiKey | None = getattr(request, "audit_api_key", None)
        user = user or _person(request)  # a login: the person who just signed in
        if user is not None or key is not None:
            self._record(request, response, user, key)
        return response

    def _record(
        self, request: HttpRequest, response: HttpResponse, user: Any, key: ApiKey | None
    ) -> None:
        match = request.resolver_match
        action = match.view_name if match else ""
        if action in NOT_AUDITED:
            return
        kwargs = {k: str(v) for k, v in (match.kwargs if match else {}).items()}
        community = key.community if key is not None else _community(kwargs.get("slug"))
        try:
            AuditEntry.objects.create(
                community_id=community.pk if community else None,
                community_slug=community.slug if community else "",
                user_id=user.pk if user is not None else None,
                username=user.get_username() if user is not None else "",
                api_key_id=key.pk if key is not None else None,
                api_key_name=key.name if key is not None else "",
                action=action or "(no view)",
                method=request.method or "",
                path=request.path[:500],
                target=kwargs,
                status_code=response.status_code,
                request_id=request_id_var.get(),
                client_address=_address(request),
            )
        except DatabaseError:
            # The change itself has happened (or not) already; losing its log line must not
            # turn the answer into an error. The log says so, with the request id.
            logger.exception("could not write the audit entry for %s", action)


def _person(request: HttpRequest) -> Any:
    # DRF sets ``request.user`` to None for a key (a key acts for a community, not a person).
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _address(request: HttpRequest) -> str | None:
    try:
        return str(ipaddress.ip_address(client_address(request)))
    except ValueError:
        return None


def _community(slug: str | None) -> Community | None:
    return Community.objects.filter(slug=slug).first() if slug else None
