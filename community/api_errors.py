"""The API's exception handler (kept apart from authentication, which DRF imports early).

The one place where the errors views let through become JSON: the access helpers' ``Http404``
and ``PermissionDenied`` (with their message), and a service's refusal (``ServiceError``) as a
400, or a 409 when the object moved since the client read it (``ConflictError``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from community.services import ConflictError, ServiceError


def too_large_message() -> str:
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return f"The request body is larger than the {limit} this service accepts."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus: a missing key is always 401 (never 403) with a WWW-Authenticate;
    access errors keep their message; a service's refusal is a 400 (409 for a conflict); a body
    over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a JSON 413 (Django would answer an HTML 400)."""
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": too_large_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, ServiceError):
        code = status.HTTP_409_CONFLICT if isinstance(exc, ConflictError) else 400
        set_rollback()
        return Response({"detail": str(exc)}, status=code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.NotAuthenticated):
        response.status_code = 401
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
