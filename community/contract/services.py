"""Services of the social contract: the draft, clauses, publishing versions, acknowledgements
and OpenSLO import and export. Views, the API and the demo all call these; the wording of
versions and their diff is in ``text``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from community.contract.alerts import clear_alerts
from community.contract.clause_words import clause_problems
from community.contract.evaluation import backfill_history
from community.contract.hooks import publish_refusals
from community.contract.openslo import OpenSLOError, export_clause, field_path, parse_document
from community.contract.openslo_words import document_problems
from community.contract.scheduling import request_evaluation
from community.contract.slo import ClauseDefinition
from community.domain_events import record_domain_event
from community.models import (
    Acknowledgement,
    Clause,
    Community,
    Contract,
    ContractVersion,
    DomainEventType,
    Membership,
    Space,
    default_policy,
)
from community.services import ConflictError, ServiceError
from community.tiers import Tier
from community.vocabulary import EventKind

HISTORY_DAYS = 30


class ClauseInvalid(ServiceError):
    """A clause definition the contract refuses, with every problem as (field, message)."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors = list(errors)
        super().__init__(" ".join(f"{field}: {message}" for field, message in self.errors))


# --- The draft ------------------------------------------------------------------------------


def get_contract(*, community: Community) -> Contract:
    contract, _ = Contract.objects.get_or_create(community=community)
    return contract


def update_draft(*, community: Community, preamble: str, policy: dict[str, str]) -> Contract:
    """Change the draft preamble and error budget policy (one text per tier)."""
    unknown = sorted(set(policy) - {t.value for t in Tier})
    if unknown:
        raise ServiceError(
            gettext("Unknown tier(s) in the policy: %(tiers)s.") % {"tiers": ", ".join(unknown)}
        )
    contract = get_contract(community=community)
    merged = default_policy()
    merged.update({k: v.strip() for k, v in policy.items()})
    contract.preamble = preamble.strip()
    contract.policy = merged
    contract.updated_at = timezone.now()
    contract.save(update_fields=["preamble", "policy", "updated_at"])
    return contract


def validate_definition(*, community: Community, definition: ClauseDefinition) -> None:
    """Raise ClauseInvalid naming every field that is wrong; change nothing."""
    errors = clause_problems(definition)
    kinds = set(EventKind.values)
    for field in ("total_kinds", "bad_kinds"):
        wrong = [k for k in getattr(definition, field) if k not in kinds]
        if wrong:
            errors.append(
                (
                    field,
                    gettext("Unknown event kind(s): %(wrong)s. Use %(kinds)s.")
                    % {"wrong": ", ".join(wrong), "kinds": ", ".join(sorted(kinds))},
                )
            )
    if definition.spaces:
        known = set(
            Space.objects.filter(community=community, pk__in=definition.spaces).values_list(
                "pk", flat=True
            )
        )
        missing = [str(s) for s in definition.spaces if s not in known]
        if missing:
            errors.append(
                (
                    "spaces",
                    gettext("No such space in this community: %(spaces)s.")
                    % {"spaces": ", ".join(missing)},
                )
            )
    if errors:
        raise ClauseInvalid(errors)


def _unique_slug(community: Community, wanted: str, exclude: int | None = None) -> str:
    base = slugify(wanted)[:50] or "clause"
    others = Clause.objects.filter(community=community, slug__startswith=base)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    taken = set(others.values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def save_clause(
    *,
    community: Community,
    definition: ClauseDefinition,
    clause: Clause | None = None,
    slug: str = "",
) -> Clause:
    """Create a draft clause, or change an existing one's draft. Nothing goes live until the
    contract is published."""
    validate_definition(community=community, definition=definition)
    with transaction.atomic():
        get_contract(community=community)
        if clause is None:
            position = (
                Clause.objects.filter(community=community).aggregate(m=Max("position"))["m"] or 0
            ) + 1
            clause = Clause(
                community=community,
                slug=_unique_slug(community, slug or definition.title),
                position=position,
                # Its words are in the language the community speaks now (docs/i18n.md).
                language=community.default_language,
            )
        elif clause.community_id != community.pk:
            raise ServiceError(gettext("That clause belongs to another community."))
        clause.title = definition.title.strip()
        clause.wording = definition.wording.strip()
        clause.total_kinds = list(definition.total_kinds)
        clause.total_categories = list(definition.total_categories)
        clause.bad_kinds = list(definition.bad_kinds)
        clause.bad_categories = list(definition.bad_categories)
        clause.per_space = definition.per_space
        clause.target = definition.target
        clause.window_days = definition.window_days
        clause.alert_rules = [rule.as_dict() for rule in definition.alert_rules]
        clause.min_bad_events = definition.min_bad_events
        clause.retired_at = None
        clause.updated_at = timezone.now()
        clause.save()
        clause.spaces.set(definition.spaces)
    return clause


def retire_clause(*, clause: Clause) -> Clause:
    """Remove a clause from the draft; it leaves the contract at the next publish."""
    if clause.retired_at is None:
        clause.retired_at = timezone.now()
        clause.save(update_fields=["retired_at"])
    return clause


# --- Publishing -----------------------------------------------------------------------------


def _draft_clauses(community: Community) -> list[Clause]:
    return list(Clause.objects.in_draft().filter(community=community).prefetch_related("spaces"))


def _frozen(clauses: list[Clause]) -> list[dict[str, Any]]:
    return [{"clause_id": c.pk, "slug": c.slug, **c.draft_definition().as_dict()} for c in clauses]


def preview_publish(
    *, contract: Contract, previous: ContractVersion | None, draft_clauses: list[Clause]
) -> ContractVersion:
    """The draft as the unsaved next version, to compare with ``previous`` (the current one,
    None before the first) through ``text.diff_versions``: what publishing now would change.
    ``draft_clauses`` are the clauses not retired, in contract order, spaces prefetched."""
    return ContractVersion(
        contract=contract,
        number=(previous.number + 1) if previous else 1,
        preamble=contract.preamble,
        policy=dict(contract.policy or {}),
        clauses=_frozen(draft_clauses),
    )


def draft_fingerprint(draft: ContractVersion) -> str:
    """A short digest of what the publish step showed (the next number and the draft's text), so
    that publishing can refuse when the draft changed after the person reviewed it."""
    payload = json.dumps(
        [draft.number, draft.preamble, draft.policy, draft.clauses], sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def current_draft_fingerprint(*, community: Community) -> str:
    """The digest of the draft as publishing now would freeze it (the API's ``draft_digest``:
    a caller reads it with the draft and sends it back to publish exactly what it read)."""
    contract = get_contract(community=community)
    shown = preview_publish(
        contract=contract,
        previous=contract.current_version(),
        draft_clauses=_draft_clauses(community),
    )
    return draft_fingerprint(shown)


def publish_contract(
    *,
    community: Community,
    summary: str,
    by: User | None,
    by_name: str = "",
    expected_draft: str = "",
) -> ContractVersion:
    """Freeze the draft as the next version; its clauses go live with the definitions shown.

    ``expected_draft`` (from :func:`draft_fingerprint` of the draft the person reviewed) makes
    publishing refuse with ``ConflictError`` if someone edited or published the draft since."""
    summary = summary.strip()
    if not summary:
        raise ServiceError(gettext("Say what changed in this version, in a sentence or two."))
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=get_contract(community=community).pk)
        clauses = _draft_clauses(community)
        if not clauses:
            raise ServiceError(
                gettext("A contract needs at least one clause before it is published.")
            )
        frozen = _frozen(clauses)
        previous = contract.current_version()
        shown = preview_publish(contract=contract, previous=previous, draft_clauses=clauses)
        refusals = publish_refusals(community, draft_fingerprint(shown))
        if refusals:
            raise ServiceError(" ".join(refusals))
        if expected_draft and draft_fingerprint(shown) != expected_draft:
            raise ConflictError(
                gettext(
                    "The draft changed after you reviewed it: someone edited or published it "
                    "meanwhile, so nothing was published. What publishing would change now is "
                    "shown below; publish again if it is still right."
                )
            )
        if (
            previous is not None
            and previous.preamble == contract.preamble
            and previous.policy == contract.policy
            and previous.clauses == frozen
        ):
            raise ServiceError(
                gettext("Nothing has changed since version %(number)s: edit the draft first.")
                % {"number": previous.number}
            )
        name = by_name or (by.get_username() if by is not None else "API")
        version = ContractVersion.objects.create(
            contract=contract,
            number=(previous.number + 1) if previous else 1,
            preamble=contract.preamble,
            policy=dict(contract.policy),
            clauses=frozen,
            summary=summary,
            published_by=by,
            published_by_name=name,
        )
        live_ids = []
        newly_live = [clause for clause in clauses if not clause.is_live]
        for clause, data in zip(clauses, frozen, strict=True):
            clause.is_live = True
            clause.live_definition = {
                k: v for k, v in data.items() if k not in ("clause_id", "slug")
            }
            clause.save(update_fields=["is_live", "live_definition"])
            live_ids.append(clause.pk)
        leaving = Clause.objects.filter(community=community, is_live=True).exclude(pk__in=live_ids)
        for clause in leaving.select_related("community"):
            clear_alerts(clause=clause)  # a clause no longer in the contract stops alerting
        Clause.objects.filter(community=community).exclude(pk__in=live_ids).update(
            is_live=False, live_definition=None
        )
        # A clause new to the contract gets a month of history at once, so its chart is not
        # empty on the day it is published (one aggregate query per new clause).
        now = timezone.now()
        days = [now - timedelta(days=d) for d in range(HISTORY_DAYS, 0, -1)]
        for clause in newly_live:
            backfill_history(clause=clause, points=days)
        record_domain_event(
            community=community,
            type=DomainEventType.CONTRACT_PUBLISHED,
            payload={
                "version": version.number,
                "version_id": version.pk,
                "summary": version.summary,
                "published_by": name,
                "clause_ids": live_ids,
            },
        )
        request_evaluation(community=community)
    return version


# --- Members --------------------------------------------------------------------------------


def acknowledge_version(*, membership: Membership, version: ContractVersion) -> Acknowledgement:
    """A member acknowledges a version (again is harmless)."""
    if version.contract.community_id != membership.community_id:
        raise ServiceError(gettext("That version belongs to another community."))
    ack, _ = Acknowledgement.objects.get_or_create(membership=membership, version=version)
    return ack


def acknowledgement_counts(*, contract: Contract) -> dict[int, int]:
    """Members who acknowledged each version, by version number."""
    rows = contract.versions.annotate(n=Count("acknowledgements")).values_list("number", "n")
    return dict(rows)


# --- Reading versions -----------------------------------------------------------------------


def space_names(community: Community, ids: Iterable[int] | None = None) -> dict[int, str]:
    spaces = Space.objects.filter(community=community)
    if ids is not None:
        spaces = spaces.filter(pk__in=list(ids))
    return dict(spaces.values_list("pk", "name"))


# --- OpenSLO --------------------------------------------------------------------------------


def export_openslo(*, clause: Clause) -> str:
    """The clause as an OpenSLO v1 SLO document: as published for a live clause (members must
    not see unpublished edits), the draft for one never published (only moderators see it)."""
    definition = clause.published_definition() or clause.draft_definition()
    return export_clause(
        slug=clause.slug,
        definition=definition,
        service=clause.community.slug,
        space_names=space_names(clause.community, definition.spaces),
    )


def import_openslo(*, community: Community, text: str) -> Clause:
    """A new draft clause from an OpenSLO v1 SLO document. Every problem is reported with the
    document path of its field, and nothing is stored."""
    ids: dict[str, int] = {}
    for pk, name in (
        Space.objects.filter(community=community).order_by("pk").values_list("pk", "name")
    ):
        ids.setdefault(name, pk)
    try:
        slug, definition = parse_document(text, space_ids=ids)
    except OpenSLOError as exc:
        raise ClauseInvalid(document_problems(exc.errors)) from None
    try:
        validate_definition(community=community, definition=definition)
    except ClauseInvalid as exc:
        raise ClauseInvalid(
            [(field_path(field), message) for field, message in exc.errors]
        ) from None
    return save_clause(community=community, definition=definition, slug=slug)
