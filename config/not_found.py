"""Not found: JSON for an address under the API, the usual page everywhere else.

An API client that asks for an address no route matches (``/api/v1/clauses/abc/``) gets the
API's error shape, as it would for a route whose object does not exist, never an HTML page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception or Exception())
