"""The API's one request parser: JSON, refusing what would fail later instead of a clear 400."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from community.json_safety import MAX_DEPTH, too_deep


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, plus: a document nested too deeply (to parse, or deeper than any of our
    shapes needs) is a 400 that says so, not a 500. Text the database cannot store (NUL, lone
    surrogates) is refused field by field by the serializers, so errors can name the field."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
        if too_deep(data):
            raise ParseError(
                f"JSON parse error - the document is nested more than {MAX_DEPTH} levels deep."
            )
        return data
