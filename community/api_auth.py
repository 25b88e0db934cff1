"""API authentication: per-community keys sent as ``Authorization: Bearer <key>``.

``request.auth`` is the ApiKey and ``request.user`` stays anonymous: a key acts for its
community, not for a person. Every API view declares the scope it needs with ``required_scope``.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone, translation
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from community.access import CommunityAccess, access_for_key
from community.language import language_for_key
from community.models import API_KEY_PREFIX, ApiKey, Community, hash_api_key

if TYPE_CHECKING:  # rest_framework.views imports this module through the DRF settings
    from rest_framework.views import APIView

# last_used_at is written at most this often per key, so a busy key does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as `Authorization: Bearer <key>`.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The API key is not valid.") from None
        key = self._key_for(raw)
        # The audit log (config.audit) runs outside DRF and names the key that acted.
        request._request.audit_api_key = key  # type: ignore[attr-defined]
        # From here on the API answers in the key's community's language (community.language).
        translation.activate(language_for_key(key, request))
        return None, key

    def _key_for(self, raw: str) -> ApiKey:
        parts = raw.split("_", 2)
        if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        key = ApiKey.objects.select_related("community").filter(lookup=parts[1]).first()
        if key is None or not hmac.compare_digest(key.key_hash, hash_api_key(raw)):
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class HasApiKey(BasePermission):
    """A valid key is required, and it must carry the view's ``required_scope``."""

    message = "This API key does not have the scope this endpoint needs."

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            raise exceptions.NotAuthenticated(
                "Authentication required: send `Authorization: Bearer <key>`."
            )
        scope = required_scope_for(request, view)
        if scope and not key.has_scope(scope):
            self.message = f"This API key lacks the `{scope}` scope."
            return False
        return True


def required_scope_for(request: Request, view: APIView) -> str:
    """``required_scope`` may be a string or a mapping from HTTP method to scope."""
    scope = getattr(view, "required_scope", "read")
    if isinstance(scope, dict):
        return str(scope.get(request.method, scope.get("*", "read")))
    return str(scope)


def community_of(request: Request) -> Community:
    """The community a request acts on: the one its key belongs to. Keys are scoped to one."""
    key = request.auth
    assert isinstance(key, ApiKey)  # guaranteed by HasApiKey
    return key.community


def access_of(request: Request) -> CommunityAccess:
    """The request's key as a :class:`CommunityAccess`, for the access helpers every API view
    fetches protected objects through (the same helpers, and rules, as the pages)."""
    key = request.auth
    assert isinstance(key, ApiKey)  # guaranteed by HasApiKey
    return access_for_key(key)
