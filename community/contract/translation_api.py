"""The API of a clause's other languages: its title and text in each of the community's
languages other than its own (``community.contract.translations``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api_auth import access_of
from community.contract.access import get_clause
from community.contract.api import clause_rows, invalid, language_refused
from community.contract.serializers import ClauseOutSerializer, TranslationInSerializer
from community.contract.services import ClauseInvalid
from community.contract.translations import remove_clause_translation, save_clause_translation
from community.language import supported
from community.serializers import flatten_errors

TRANSLATION_NOT_SAVED = "The translation was not saved; nothing changed."
LANG_PATH = OpenApiParameter(
    "lang",
    str,
    OpenApiParameter.PATH,
    description="A language of ours other than the clause's own (`language`), e.g. `ko`.",
)


class ClauseTranslationView(APIView):
    """A clause's title and text in one of the community's other languages: written by its
    moderators, shown at once to members who read that language, also for a published clause
    (a translation says the same as the clause; the audit log keeps each change)."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="clauses_translation_update",
        request=TranslationInSerializer,
        parameters=[LANG_PATH],
        responses={200: ClauseOutSerializer},
        tags=["contract"],
    )
    def put(self, request: Request, pk: int, lang: str) -> Response:
        clause = get_clause(access_of(request), pk, write=True)
        data = TranslationInSerializer(data=request.data)
        if not data.is_valid():
            return invalid(flatten_errors(data.errors), TRANSLATION_NOT_SAVED)
        try:
            save_clause_translation(
                clause=clause,
                language=lang,
                title=data.validated_data["title"],
                text=data.validated_data["text"],
            )
        except ClauseInvalid as exc:
            return invalid(_path_named(exc.errors), TRANSLATION_NOT_SAVED)
        clause = get_clause(access_of(request), pk, write=True)
        return Response(clause_rows(request, [clause], language=lang)[0])

    @extend_schema(
        operation_id="clauses_translation_destroy",
        parameters=[LANG_PATH],
        responses={204: None},
        tags=["contract"],
    )
    def delete(self, request: Request, pk: int, lang: str) -> Response:
        clause = get_clause(access_of(request), pk, write=True)
        if supported(lang) != lang:
            return language_refused()
        remove_clause_translation(clause=clause, language=lang)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _path_named(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The service's ``language`` is this API's ``lang`` (the path names it so)."""
    return [("lang" if field == "language" else field, message) for field, message in errors]
