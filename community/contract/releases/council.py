"""The spokescouncil: groups of members each name a delegate; a version is published (or put on
trial) only once every delegate has answered the draft — ratify, stand aside, or block with a
reason — and no block stands. A revised draft has another fingerprint, so answers start afresh;
every answer, changed or withdrawn, stays in the version's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.contract.releases.gate import facilitator_index
from community.contract.releases.models import Answer, AnswerKind, Council, CouncilGroup
from community.contract.services import draft_fingerprint, get_contract, preview_publish
from community.models import Clause, Community, Membership, Space
from community.services import ServiceError


def get_council(*, community: Community) -> Council:
    council, _created = Council.objects.get_or_create(community=community)
    return council


def configure_council(*, community: Community, enabled: bool, rotation_days: int = 7) -> Council:
    if not 1 <= rotation_days <= 90:
        raise ServiceError(_("The facilitator role passes on every 1 to 90 days."))
    council = get_council(community=community)
    council.enabled = enabled
    council.rotation_days = rotation_days
    council.save(update_fields=["enabled", "rotation_days"])
    return council


def ask_council(*, community: Community) -> Council:
    """Ask every delegate to answer the current draft (Needs you lists who has not)."""
    council = get_council(community=community)
    if not council.enabled:
        raise ServiceError(_("Turn ratification on before asking the council."))
    draft = current_draft(community)
    if draft is None:
        raise ServiceError(
            _("Nothing has changed since the version in force: edit the draft first.")
        )
    council.asked_number, council.asked_fingerprint = draft
    council.save(update_fields=["asked_number", "asked_fingerprint"])
    return council


def add_group(
    *, community: Community, name: str, space: Space | None = None, delegate: Membership | None
) -> CouncilGroup:
    name = name.strip() or (space.name if space else "")
    if not name:
        raise ServiceError(_("Give the group a name."))
    if space is not None and space.community_id != community.pk:
        raise ServiceError(_("That space belongs to another community."))
    if delegate is not None and delegate.community_id != community.pk:
        raise ServiceError(_("The delegate must be a member of this community."))
    council = get_council(community=community)
    if council.groups.filter(name=name).exists():
        raise ServiceError(_("There is already a group called %(name)s.") % {"name": name})
    return CouncilGroup.objects.create(
        council=council, name=name, space=space, delegate=delegate, position=council.groups.count()
    )


def groups_from_spaces(*, community: Community) -> int:
    """One group per top-level space not yet in the council (no delegate yet). Returns how many
    were added."""
    council = get_council(community=community)
    taken = set(council.groups.values_list("space_id", flat=True))
    added = 0
    for space in Space.objects.filter(community=community, parent__isnull=True).order_by("name"):
        if space.pk not in taken and not council.groups.filter(name=space.name).exists():
            add_group(community=community, name=space.name, space=space, delegate=None)
            added += 1
    return added


def name_delegate(*, group: CouncilGroup, delegate: Membership) -> CouncilGroup:
    if delegate.community_id != group.council.community_id:
        raise ServiceError(_("The delegate must be a member of this community."))
    group.delegate = delegate
    group.save(update_fields=["delegate"])
    return group


def current_draft(community: Community) -> tuple[int, str] | None:
    """(the number the draft would take, its fingerprint), or None with no clause in it or
    nothing changed since the version in force."""
    contract = get_contract(community=community)
    clauses = list(Clause.objects.in_draft().filter(community=community).prefetch_related("spaces"))
    if not clauses:
        return None
    previous = contract.current_version()
    draft = preview_publish(contract=contract, previous=previous, draft_clauses=clauses)
    if previous is not None and (draft.preamble, draft.policy, draft.clauses) == (
        previous.preamble,
        previous.policy,
        previous.clauses,
    ):
        return None
    return draft.number, draft_fingerprint(draft)


def answer_draft(
    *,
    community: Community,
    group: CouncilGroup,
    membership: Membership | None,
    kind: str,
    reason: str = "",
    by: User | None = None,
    fingerprint: str = "",
) -> Answer:
    """A delegate answers for their group. Refused: a person who is not that group's delegate
    (``PermissionError`` — the caller answers 403), an unknown answer, a block without a reason,
    a council that is off, a draft that changed since it was shown (``fingerprint``)."""
    if group.council.community_id != community.pk:
        raise ServiceError(_("That group belongs to another community."))
    if membership is None or group.delegate_id != membership.pk:
        raise PermissionError(
            _("Only the delegate of %(group)s can answer for it, so nothing was recorded.")
            % {"group": group.name}
        )
    if kind not in AnswerKind.values:
        raise ServiceError(_("Answer with ratify, stand aside or block."))
    reason = reason.strip()
    if kind == AnswerKind.BLOCK and not reason:
        raise ServiceError(_("Say why you block, so the community can revise the version."))
    council = group.council
    if not council.enabled:
        raise ServiceError(_("Ratification is off in this community."))
    draft = current_draft(community)
    if draft is None:
        raise ServiceError(_("There is no draft to answer."))
    number, current = draft
    if fingerprint and fingerprint != current:
        raise ServiceError(_("The draft was revised since you read it: read it again and answer."))
    now = timezone.now()
    with transaction.atomic():
        Answer.objects.standing().filter(group=group, fingerprint=current).update(replaced_at=now)
        return Answer.objects.create(
            council=council,
            group=group,
            fingerprint=current,
            number=number,
            delegate=membership,
            delegate_name=membership.display_name,
            kind=kind,
            reason=reason,
            answered_at=now,
            answered_by=by,
        )


def withdraw_block(*, group: CouncilGroup, membership: Membership | None) -> Answer:
    """The delegate withdraws their block; the group then stands aside (recorded as a new
    answer; the block stays in the history, marked withdrawn)."""
    if membership is None or group.delegate_id != membership.pk:
        raise PermissionError(
            _("Only the delegate of %(group)s can withdraw its block.") % {"group": group.name}
        )
    draft = current_draft(group.council.community)
    block = (
        Answer.objects.standing()
        .filter(group=group, kind=AnswerKind.BLOCK, fingerprint=draft[1] if draft else "")
        .first()
    )
    if block is None:
        raise ServiceError(
            _("%(group)s has no block on the draft to withdraw.") % {"group": group.name}
        )
    with transaction.atomic():
        now = timezone.now()
        Answer.objects.filter(pk=block.pk).update(replaced_at=now, withdrawn=True)
        return Answer.objects.create(
            council=block.council,
            group=group,
            fingerprint=block.fingerprint,
            number=block.number,
            delegate=membership,
            delegate_name=membership.display_name,
            kind=AnswerKind.STAND_ASIDE,
            reason="Withdrew the block.",
            answered_at=now,
        )


@dataclass(frozen=True)
class Standing:
    group: CouncilGroup
    answer: Answer | None


def standing_answers(council: Council, fingerprint: str) -> list[Standing]:
    answers = {
        a.group_id: a
        for a in Answer.objects.standing().filter(council=council, fingerprint=fingerprint)
    }
    groups = list(council.groups.select_related("delegate", "space"))
    return [Standing(g, answers.get(g.pk)) for g in groups]


def ratification_refusal(community: Community, fingerprint: str) -> str | None:
    """Publish guard: why this draft may not be published yet, or None (in the reader's
    language: it is shown, never stored)."""
    council = Council.objects.filter(community=community, enabled=True).first()
    if council is None:
        return None
    rows = standing_answers(council, fingerprint)
    if not rows:
        return _("Ratification is on but the council has no groups yet: add them first.")
    blocks = [r.group.name for r in rows if r.answer and r.answer.kind == AnswerKind.BLOCK]
    if blocks:
        return ngettext(
            "%(groups)s blocks this version: it waits until the block is withdrawn or the "
            "version is revised.",
            "%(groups)s block this version: it waits until the blocks are withdrawn or the "
            "version is revised.",
            len(blocks),
        ) % {"groups": ", ".join(blocks)}
    waiting = [r.group.name for r in rows if r.answer is None]
    if waiting:
        return _("The council has not answered yet: waiting for %(groups)s.") % {
            "groups": ", ".join(waiting)
        }
    return None


def facilitator(
    council: Council, now: datetime | None = None
) -> tuple[Membership | None, datetime]:
    """The delegate who facilitates the council now, and when the role passes on."""
    now = now or timezone.now()
    delegates = [g.delegate for g in council.groups.select_related("delegate") if g.delegate]
    days = (now - council.started_at).days
    index = facilitator_index(
        delegates=len(delegates), days_since_start=days, rotation_days=council.rotation_days
    )
    rotation = max(council.rotation_days, 1)
    passes = council.started_at + timedelta(days=(days // rotation + 1) * rotation)
    return (delegates[index] if index >= 0 else None), passes
