"""OpenAPI description of our authentication and of the errors every operation can answer, for
drf-spectacular.

The schema is a contract other forums generate clients from, so it lists every status code an
operation can really return, each with the body it really has. The error responses every API view
shares are added here, once, instead of in each view's ``extend_schema``; a view declares only
what is its own (a 409 for a stale version, a batch's item errors, the policy's field errors).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse

from community.serializers import ErrorSerializer

BODY_METHODS = {"POST", "PUT", "PATCH"}

SHARED_ERRORS = {
    "400": "The request was not valid (each field named in `errors`), or a service refused it.",
    "401": "No API key, or a key that is not valid or was revoked.",
    "403": "The key lacks the scope this operation needs.",
}
NOT_FOUND = "No such object in the key's community (or one the key may not see)."
UNSUPPORTED_MEDIA_TYPE = "The body was not sent as `application/json`."
TOO_LARGE = "The body is larger than this service accepts."
THROTTLED = "Too many requests with this key; retry after `Retry-After` seconds."


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "community.api_auth.ApiKeyAuthentication"
    name = "communityApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A per-community API key: `Authorization: Bearer csre_…`.",
        }


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus the error responses every API operation shares: 400, 401
    and 403 everywhere (an address the server cannot read is a 400 on any operation), 404 where
    the path names an object, 413 and 415 where a body is read, 429 where requests are
    throttled."""

    def _get_paginator(self) -> Any:
        """Only GET lists are paginated (DRF pages in ``list()``); a POST on a list view that
        answers with a list (the spaces upsert) answers with the plain list."""
        return super()._get_paginator() if self.method == "GET" else None

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        shared = dict(SHARED_ERRORS)
        if "{" in self.path:
            shared["404"] = NOT_FOUND
        if self.method in BODY_METHODS:
            shared["413"] = TOO_LARGE
            shared["415"] = UNSUPPORTED_MEDIA_TYPE
        if self.view.get_throttles():
            shared["429"] = THROTTLED
        for code, description in shared.items():
            if code not in responses:
                error = OpenApiResponse(ErrorSerializer, description=description)
                responses[code] = self._get_response_for_code(error, code, direction=direction)
        return dict(sorted(responses.items()))
