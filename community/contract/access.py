"""Access helpers of the social contract: the only way a view or API view fetches a clause or a
version. Each takes a ``CommunityAccess`` (from a session user or an API key, see
``community.access``), so pages and the API share one rule per object: what a person may not see
answers 404, what they may see but not change answers 403.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from community.access import CommunityAccess
from community.models import Clause, ClauseQuerySet, ContractVersion


def can_see_clause(access: CommunityAccess, clause: Clause) -> bool:
    """Live clauses are as visible as the contract; drafts and retired ones only to moderators
    (and ``moderate`` keys): for everyone else they do not exist."""
    return clause.is_live or access.is_moderator


def visible_clauses(access: CommunityAccess) -> ClauseQuerySet:
    """The clauses ``access`` may see: the rule of :func:`can_see_clause`, for a list."""
    clauses = Clause.objects.filter(community=access.community).prefetch_related("spaces")
    return clauses if access.is_moderator else clauses.live()


def get_clause(access: CommunityAccess, pk: int, *, write: bool = False) -> Clause:
    """A clause (see :func:`can_see_clause`). ``write`` needs a moderator (403)."""
    clause = (
        Clause.objects.filter(community=access.community, pk=pk)
        .select_related("community")
        .prefetch_related("spaces", "translations")
        .first()
    )
    if clause is None or not can_see_clause(access, clause):
        raise Http404("No such clause.")
    if write:
        access.require_moderator("Only this community's moderators can change the contract.")
    return clause


def version_clauses(version: ContractVersion) -> dict[int, Clause]:
    """The clauses a published version froze, by id, with their translations: whoever may
    read the version may read its clauses' words in their language."""
    clauses = Clause.objects.filter(pk__in=version.clause_ids).prefetch_related("translations")
    return {clause.pk: clause for clause in clauses}


def get_version(access: CommunityAccess, number: int) -> ContractVersion:
    """A published version: readable by whoever can see the community."""
    version = (
        ContractVersion.objects.filter(contract__community=access.community, number=number)
        .select_related("contract")
        .first()
    )
    if version is None:
        raise Http404("No such version.")
    return version


def get_versions(access: CommunityAccess) -> QuerySet[ContractVersion]:
    """The community's published versions, newest first (readable by whoever sees it)."""
    return ContractVersion.objects.filter(contract__community=access.community).order_by("-number")


def get_current_version(access: CommunityAccess) -> ContractVersion | None:
    """The version in force: the newest published one (None before the first publish)."""
    return get_versions(access).first()
