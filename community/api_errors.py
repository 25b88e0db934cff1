"""The API's exception handler (kept apart from authentication, which DRF imports early)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, but a missing key is always 401 (never 403) with a WWW-Authenticate."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.NotAuthenticated):
        response.status_code = 401
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
