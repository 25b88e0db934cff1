"""Refuse, at the door, addresses and forms whose text the application could never use.

A NUL character (``%00``) or a lone surrogate in the path, the query string or a submitted form
cannot be stored or compared by PostgreSQL, so any view that filtered on it or saved it would
fail with an error page. One check here answers every such request with a clear 400 instead, for
pages and the API alike. (JSON bodies are checked field by field by the API's parser and
serializers, so their errors can name the field.)
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    QueryDict,
)

from community.json_safety import text_problem

MESSAGE = "The address contains characters we cannot read (such as %00). Nothing was changed."
FORM_MESSAGE = "The form contains characters we cannot read (such as a NUL). Nothing was changed."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _unreadable([request.path], request.GET):
            return _refuse(request, MESSAGE)
        # The API takes JSON only (a form body there is a 415 from its parser); pages take forms.
        # A form over the size limits raises here and is answered by the styled 400/413 pages.
        is_form = request.content_type in FORM_TYPES and not request.path.startswith("/api/")
        if is_form and _unreadable([], request.POST):
            return _refuse(request, FORM_MESSAGE)
        return self.get_response(request)


def _unreadable(texts: list[str], data: QueryDict) -> bool:
    texts = [*texts, *data.keys()]
    texts += [value for _, values in data.lists() for value in values]
    return any(text_problem(text) for text in texts)


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
