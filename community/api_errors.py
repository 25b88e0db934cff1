"""The API's exception handler (kept apart from authentication, which DRF imports early)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.template.defaultfilters import filesizeformat
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def too_large_message() -> str:
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return f"The request body is larger than the {limit} this service accepts."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, but a missing key is always 401 (never 403) with a WWW-Authenticate, and a
    body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a JSON 413 (Django would answer an HTML 400)."""
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": too_large_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.NotAuthenticated):
        response.status_code = 401
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
