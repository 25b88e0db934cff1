"""Error pages for what never reaches a view: a body over the size limit, a malformed request."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from community.api_errors import too_large_message


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 handler: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 (JSON on the
    API, the styled page elsewhere); any other bad request gets the styled 400 page."""
    if isinstance(exception, RequestDataTooBig):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": too_large_message()}, status=413)
        return render(request, "413.html", {"message": too_large_message()}, status=413)
    return render(request, "400.html", status=400)
