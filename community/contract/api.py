"""REST API of the social contract: clauses with live status, versions, drafts, publishing and
OpenSLO. Every query is filtered by the key's community."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api_auth import access_of, community_of
from community.contract.access import get_clause, get_version, get_versions, visible_clauses
from community.contract.serializers import (
    ClauseOutSerializer,
    ContractOutSerializer,
    DefinitionSerializer,
    DraftInSerializer,
    DraftOutSerializer,
    ImportInSerializer,
    PublishInSerializer,
    VersionOutSerializer,
)
from community.contract.services import (
    ClauseInvalid,
    current_draft_fingerprint,
    export_openslo,
    get_contract,
    import_openslo,
    publish_contract,
    save_clause,
    update_draft,
)
from community.contract.text import exact
from community.domain_events import space_payload
from community.language import supported, supported_languages
from community.models import ApiKey, Clause, ClauseSnapshot, Contract, ContractVersion
from community.serializers import flatten_errors
from community.services import ConflictError, ServiceError

CLAUSE_EXAMPLE = {
    "title": "Disagree without hostility",
    "wording": "Argue with ideas, not with people.",
    "total_kinds": ["post"],
    "bad_kinds": ["flag_upheld"],
    "bad_categories": ["inappropriate"],
    "target": "0.980000",
    "window_days": 30,
    "min_bad_events": 3,
}


NOT_PUBLISHED = "The contract was not published; nothing changed."
STALE_DRAFT = (
    "The draft changed since this digest was read (someone edited or published it), so nothing "
    "was published. Read the draft again and publish with its new digest if it is still right."
)


def _status(snap: ClauseSnapshot) -> dict[str, Any]:
    return {
        "sli": None if snap.sli is None else exact(snap.sli),
        "total": snap.total,
        "bad": snap.bad,
        "allowed_bad": exact(snap.allowed_bad),
        "budget_remaining": exact(snap.budget_remaining),
        "tier": snap.tier,
        "burn_rates": snap.burn_rates,
        "computed_at": snap.computed_at,
    }


def _translations(clause: Clause) -> dict[str, dict[str, Any]]:
    return {
        row.language: {"title": row.title, "text": row.text, "updated_at": row.updated_at}
        for row in clause.translations.all()
    }


def clause_rows(
    request: Request, clauses: Iterable[Clause], *, language: str | None = None
) -> list[dict[str, Any]]:
    """Each clause with its status; ``title`` and ``wording`` in ``language`` (default: the
    language the API answers this key in), and, for moderators, every translation."""
    clauses = list(clauses)
    moderator = access_of(request).is_moderator
    latest = (
        ClauseSnapshot.objects.filter(clause_id__in=[c.pk for c in clauses])
        .latest_per_clause()
        .select_related("space")
    )
    overall: dict[int, ClauseSnapshot] = {}
    spaces: dict[int, list[ClauseSnapshot]] = {}
    for snap in latest.order_by("space__name"):
        if snap.scope:
            spaces.setdefault(snap.clause_id, []).append(snap)
        else:
            overall[snap.clause_id] = snap
    rows = []
    for clause in clauses:
        definition = clause.published_definition() or clause.draft_definition()
        current = overall.get(clause.pk)
        words = clause.words_in(language, own=(definition.title, definition.wording))
        rows.append(
            {
                "id": clause.pk,
                "slug": clause.slug,
                "title": words.title,
                "wording": words.wording,
                "language": clause.language,
                "title_language": words.title_language,
                "wording_language": words.wording_language,
                **({"translations": _translations(clause)} if moderator else {}),
                "published": clause.is_live,
                "retired": clause.retired_at is not None,
                "unpublished_changes": clause.has_unpublished_changes,
                "definition": definition.as_dict(),
                "status": _status(current) if current else None,
                "spaces": [
                    {"space": space_payload(s.space), "status": _status(s)}
                    for s in spaces.get(clause.pk, [])
                ],
                "openslo_url": reverse("api:clause-openslo", kwargs={"pk": clause.pk}),
            }
        )
    return rows


def invalid(
    errors: list[tuple[str, str]], detail: str = "The clause was not saved; nothing changed."
) -> Response:
    return Response(
        {
            "detail": detail,
            "errors": [{"field": f, "message": m} for f, m in errors],
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


LANG_PARAMETER = OpenApiParameter(
    "lang",
    str,
    OpenApiParameter.QUERY,
    enum=list(supported_languages()),
    description="Show `title` and `wording` in this language (its translation, else the "
    "clause's own words). Default: the language the API answers this key in.",
)


class LanguageRefused(Exception):
    pass


def _reading_language(request: Request) -> str | None:
    wanted = request.query_params.get("lang")
    if wanted is None:
        return None
    code = supported(wanted)
    if code is None:
        raise LanguageRefused(wanted)
    return code


def language_refused() -> Response:
    offered = {"languages": ", ".join(supported_languages())}
    return invalid(
        [("lang", _("Choose one of the languages offered: %(languages)s.") % offered)],
        detail=_("No such language here."),
    )


class ClauseListView(APIView):
    """The contract's clauses, each with its live status (community-wide and per space).
    Keys with `moderate` also see draft clauses and can create one."""

    required_scope = {"GET": "read", "POST": "moderate"}

    @extend_schema(
        operation_id="clauses_list",
        parameters=[LANG_PARAMETER],
        responses=ClauseOutSerializer(many=True),
        tags=["contract"],
    )
    def get(self, request: Request) -> Response:
        try:
            language = _reading_language(request)
        except LanguageRefused:
            return language_refused()
        clauses = visible_clauses(access_of(request)).prefetch_related("translations")
        return Response(clause_rows(request, clauses, language=language))

    @extend_schema(
        operation_id="clauses_create",
        request=DefinitionSerializer,
        responses={201: ClauseOutSerializer},
        examples=[OpenApiExample("A clause", value=CLAUSE_EXAMPLE, request_only=True)],
        tags=["contract"],
    )
    def post(self, request: Request) -> Response:
        data = DefinitionSerializer(data=request.data)
        if not data.is_valid():
            return invalid(flatten_errors(data.errors))
        try:
            clause = save_clause(
                community=community_of(request),
                definition=data.to_definition(data.validated_data),
            )
        except ClauseInvalid as exc:
            return invalid(exc.errors)
        return Response(clause_rows(request, [clause])[0], status=status.HTTP_201_CREATED)


class ClauseDetailView(APIView):
    required_scope = "read"

    @extend_schema(
        operation_id="clauses_retrieve",
        parameters=[LANG_PARAMETER],
        responses=ClauseOutSerializer,
        tags=["contract"],
    )
    def get(self, request: Request, pk: int) -> Response:
        clause = get_clause(access_of(request), pk)
        try:
            language = _reading_language(request)
        except LanguageRefused:
            return language_refused()
        return Response(clause_rows(request, [clause], language=language)[0])


class ClauseOpenSLOView(APIView):
    """The clause as an OpenSLO v1 `SLO` document (YAML), one alert policy per rule."""

    required_scope = "read"

    @extend_schema(
        operation_id="clauses_openslo",
        responses={
            (200, "application/yaml"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="An OpenSLO v1 `SLO` document."
            )
        },
        tags=["contract"],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        clause = get_clause(access_of(request), pk)
        return HttpResponse(export_openslo(clause=clause), content_type="application/yaml")


class ClauseImportView(APIView):
    """Import an OpenSLO v1 `SLO` document as a new draft clause. Errors name the field by
    its path in the document, and nothing is stored."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="clauses_import",
        request=ImportInSerializer,
        responses={201: ClauseOutSerializer},
        tags=["contract"],
    )
    def post(self, request: Request) -> Response:
        data = ImportInSerializer(data=request.data)
        if not data.is_valid():
            return invalid(flatten_errors(data.errors))
        try:
            clause = import_openslo(
                community=community_of(request), text=data.validated_data["document"]
            )
        except ClauseInvalid as exc:
            return invalid(exc.errors)
        return Response(clause_rows(request, [clause])[0], status=status.HTTP_201_CREATED)


def _version(version: ContractVersion, acks: int) -> dict[str, Any]:
    return {
        "number": version.number,
        "id": version.pk,
        "summary": version.summary,
        "preamble": version.preamble,
        "policy": version.policy,
        "clauses": version.clauses,
        "published_by": version.published_by_name,
        "published_at": version.published_at,
        "acknowledgements": acks,
    }


class ContractView(APIView):
    required_scope = "read"

    @extend_schema(
        operation_id="contract_retrieve", responses=ContractOutSerializer, tags=["contract"]
    )
    def get(self, request: Request) -> Response:
        access = access_of(request)
        versions = get_versions(access)
        current = versions.first()
        return Response(
            {
                "community": access.community.slug,
                "current_version": _version(current, current.acknowledgements.count())
                if current
                else None,
                "versions": versions.count(),
            }
        )


class VersionListView(APIView):
    required_scope = "read"

    @extend_schema(
        operation_id="contract_versions_list",
        responses=VersionOutSerializer(many=True),
        tags=["contract"],
    )
    def get(self, request: Request) -> Response:
        rows = get_versions(access_of(request)).annotate(n=Count("acknowledgements"))
        return Response([_version(v, v.n) for v in rows])


class VersionDetailView(APIView):
    required_scope = "read"

    @extend_schema(
        operation_id="contract_versions_retrieve", responses=VersionOutSerializer, tags=["contract"]
    )
    def get(self, request: Request, number: int) -> Response:
        version = get_version(access_of(request), number)
        return Response(_version(version, version.acknowledgements.count()))


def _draft(contract: Contract) -> dict[str, Any]:
    return {
        "preamble": contract.preamble,
        "policy": contract.policy,
        "draft_digest": current_draft_fingerprint(community=contract.community),
    }


class DraftView(APIView):
    """The draft preamble and error budget policy (what the next version will say)."""

    required_scope = {"GET": "read", "PUT": "moderate"}

    @extend_schema(
        operation_id="contract_draft_retrieve", responses=DraftOutSerializer, tags=["contract"]
    )
    def get(self, request: Request) -> Response:
        community = community_of(request)
        return Response(_draft(get_contract(community=community)))

    @extend_schema(
        operation_id="contract_draft_update",
        request=DraftInSerializer,
        responses={200: DraftOutSerializer},
        tags=["contract"],
    )
    def put(self, request: Request) -> Response:
        data = DraftInSerializer(data=request.data)
        if not data.is_valid():
            return invalid(flatten_errors(data.errors))
        try:
            contract = update_draft(
                community=community_of(request),
                preamble=data.validated_data["preamble"],
                policy=data.validated_data["policy"],
            )
        except ServiceError as exc:
            return invalid([("policy", str(exc))])
        return Response(_draft(contract))


class PublishView(APIView):
    """Publish the draft as the next version; its clauses go live."""

    required_scope = "moderate"

    @extend_schema(
        operation_id="contract_publish",
        request=PublishInSerializer,
        responses={201: VersionOutSerializer},
        tags=["contract"],
    )
    def post(self, request: Request) -> Response:
        data = PublishInSerializer(data=request.data)
        if not data.is_valid():
            return invalid(flatten_errors(data.errors), NOT_PUBLISHED)
        try:
            version = publish_contract(
                community=community_of(request),
                summary=data.validated_data["summary"],
                by=None,
                by_name=f"API key “{request.auth.name}”"
                if isinstance(request.auth, ApiKey)
                else "API",
                expected_draft=data.validated_data["draft_digest"],
            )
        except ConflictError:
            return invalid([("draft_digest", STALE_DRAFT)], NOT_PUBLISHED)
        except ServiceError as exc:
            return invalid([("(contract)", str(exc))], NOT_PUBLISHED)
        return Response(_version(version, 0), status=status.HTTP_201_CREATED)
