"""Refuse, at the door, addresses whose text the application could never use.

A NUL character (``%00``) or a lone surrogate in the path or the query string cannot be stored
or compared by PostgreSQL, so any view that filtered on it would fail with an error page. One
check here answers every such request with a clear 400 instead, for pages and the API alike.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from community.json_safety import text_problem

MESSAGE = "The address contains characters we cannot read (such as %00). Nothing was changed."


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        texts = [request.path, *request.GET.keys()]
        texts += [value for values in request.GET.lists() for value in values[1]]
        if any(text_problem(text) for text in texts):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MESSAGE}, status=400)
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
