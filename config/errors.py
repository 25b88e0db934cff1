"""Error pages: our own words, the site's layout and a way back.

A 403 or 404 shows the message the code raised it with (``PermissionDenied("Only this
community's moderators can do that.")`` shows that sentence); an htmx request gets just the
message, placed in the page's error region, so the page it came from stays as it was. The API
answers in JSON. Also what never reaches a view: a body over the size limit, a malformed request.
"""

from __future__ import annotations

import re

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.http import reswap, retarget

from community.api_errors import too_large_message

ERROR_REGION = "#page-error"
DEFAULTS = {
    403: gettext_lazy("You can see this, but this action is not yours to take here."),
    404: gettext_lazy("There is nothing at this address, or it is not yours to see."),
}
# Django's own wording for a lookup that found nothing ("No Appeal matches the given query.")
# names a model: people get our default sentence instead.
_GENERATED = re.compile(r"^No .+ matches the given query\.$")
_COMMUNITY_PATH = re.compile(r"^/c/(?P<slug>[-\w]+)/")


def _message(status: int, exception: Exception | None) -> str:
    if exception is None or isinstance(exception, Resolver404) or not exception.args:
        return str(DEFAULTS[status])
    text = exception.args[0]
    if not isinstance(text, str) or not text.strip() or _GENERATED.match(text):
        return str(DEFAULTS[status])
    return text


def _way_back(request: HttpRequest, status: int) -> tuple[str, str]:
    """Where to go from here: the community's home after a 403 (you can see it), else the list
    of communities."""
    match = _COMMUNITY_PATH.match(request.path)
    if status == 403 and match:
        return f"/c/{match['slug']}/", _("Back to the community")
    return "/", _("Back to the communities")


def _error(request: HttpRequest, status: int, exception: Exception | None) -> HttpResponse:
    message = _message(status, exception)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    back_url, back_label = _way_back(request, status)
    context = {"message": message, "back_url": back_url, "back_label": back_label}
    if getattr(request, "htmx", False):
        response = render(request, f"{status}.html#error-message", context, status=status)
        return reswap(retarget(response, ERROR_REGION), "innerHTML")
    return render(request, f"{status}.html", context, status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, exception)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request's context: whatever failed (the database, a session) must
    not fail this page too."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Something went wrong on our side."}, status=500)
    return HttpResponse(loader.get_template("500.html").render({}), status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 handler: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 (JSON on the
    API, the styled page elsewhere); any other bad request gets the styled 400 page."""
    if isinstance(exception, RequestDataTooBig):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": too_large_message()}, status=413)
        return render(request, "413.html", {"message": too_large_message()}, status=413)
    return render(request, "400.html", status=400)
