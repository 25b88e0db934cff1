"""Action items: adding and editing them, marking them done, and verifying a guardrail item
against its clause's indicator (DESIGN.md §4a; issue 12 item 3).

Verification counts the clause's events with the contract's own selectors
(``community.contract.counting.selectors``, the same rows its live SLI counts) and judges them
with the contract's SLI function (through ``incidents.postmortems.rules``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from community.contract.counting import selectors
from community.language import language_for_membership
from community.models import (
    Clause,
    ConductEvent,
    ContractVersion,
    Membership,
    NotificationKind,
)
from community.notifications import notify
from community.services import ConflictError, ServiceError
from incidents.models import Runbook
from incidents.postmortems import rules, timeline
from incidents.postmortems.models import (
    GUARDRAIL_KINDS,
    ActionItem,
    ActionKind,
    ActionStatus,
    Postmortem,
    VerificationCheck,
)

MAX_WINDOW_DAYS = 90
SIX_PLACES = Decimal("0.000001")


class StaleActionItem(ConflictError):
    """Someone else changed the action item since the caller read it."""


@dataclass(frozen=True)
class ItemFields:
    """What a person sets on an action item (all checked by :func:`_check`)."""

    title: str
    kind: str
    owner: Membership | None
    due_on: date | None
    verification_criterion: str = ""
    changes: str = ""
    contract_version: ContractVersion | None = None
    runbook: Runbook | None = None
    alert_rule: str = ""
    verify_clause: Clause | None = None
    verify_target: Decimal | None = None
    verify_window_days: int | None = None


def _user(by: User | None) -> User | None:
    return by if by is not None and by.is_authenticated else None


def _version_rules(version: ContractVersion) -> set[str]:
    names: set[str] = set()
    for clause in version.clauses or []:  # each clause as published: its definition, flat
        for rule in clause.get("alert_rules") or []:
            names.add(str(rule.get("name", "")))
    return names


def _check(postmortem: Postmortem, f: ItemFields) -> None:
    community = postmortem.community
    if not f.title.strip():
        raise ServiceError(_("Give the action item a short title: what will change."))
    if f.kind not in ActionKind.values:
        raise ServiceError(_("The type is one of: clause, runbook, alert, tooling, process."))
    if f.owner is None or f.owner.community_id != community.pk:
        raise ServiceError(_("Choose who owns this action item (a member of this community)."))
    if f.due_on is None:
        raise ServiceError(_("Give the action item a due date."))
    guardrail = f.kind in GUARDRAIL_KINDS
    if f.contract_version is not None:
        if f.contract_version.contract.community_id != community.pk:
            raise ServiceError(_("That contract version is not this community's."))
        if f.kind not in (ActionKind.CLAUSE, ActionKind.ALERT):
            raise ServiceError(_("Only a clause or alert item links to a contract version."))
    if f.runbook is not None:
        if f.runbook.community_id != community.pk:
            raise ServiceError(_("That runbook is not this community's."))
        if f.kind != ActionKind.RUNBOOK:
            raise ServiceError(_("Only a runbook item links to a runbook."))
    if f.alert_rule:
        if f.kind != ActionKind.ALERT or f.contract_version is None:
            raise ServiceError(
                _("An alert rule is named on an alert item, with its contract version.")
            )
        if f.alert_rule not in _version_rules(f.contract_version):
            raise ServiceError(
                _("Version %(number)s of the contract has no alert rule “%(alert_rule)s”.")
                % {"number": f.contract_version.number, "alert_rule": f.alert_rule}
            )
    verification = (f.verify_clause, f.verify_target, f.verify_window_days)
    if any(v is not None for v in verification):
        if not guardrail:
            raise ServiceError(
                _(
                    "Only a guardrail item (a clause, runbook or alert) is verified against a "
                    "clause."
                )
            )
        if f.verify_clause is None or f.verify_target is None or f.verify_window_days is None:
            raise ServiceError(_("A verification needs a clause, a target and a window."))
        if f.verify_clause.community_id != community.pk:
            raise ServiceError(_("That clause is not this community's."))
        if f.verify_clause.retired_at is not None:
            raise ServiceError(
                _("“%(title)s” is retired: verify against a clause that is in the contract.")
                % {"title": f.verify_clause.title}
            )
        if f.verify_clause.published_definition() is None:
            raise ServiceError(
                _("“%(title)s” is not published yet: publish it, then verify against it.")
                % {"title": f.verify_clause.title}
            )
        if not Decimal(0) < f.verify_target < Decimal(1):
            raise ServiceError(_("The target is a percentage between 0 and 100 (for example 98)."))
        if not 1 <= f.verify_window_days <= MAX_WINDOW_DAYS:
            raise ServiceError(
                _("The window is between 1 and %(MAX_WINDOW_DAYS)s days.")
                % {"MAX_WINDOW_DAYS": MAX_WINDOW_DAYS}
            )


def _apply(item: ActionItem, f: ItemFields) -> None:
    item.title = f.title.strip()[:200]
    item.kind = f.kind
    assert f.owner is not None and f.due_on is not None  # checked
    item.owner = f.owner
    item.due_on = f.due_on
    item.verification_criterion = f.verification_criterion.strip()
    item.changes = f.changes.strip()
    item.contract_version = f.contract_version
    item.runbook = f.runbook
    item.alert_rule = f.alert_rule
    item.verify_clause = f.verify_clause
    item.verify_target = (
        f.verify_target.quantize(SIX_PLACES) if f.verify_target is not None else None
    )
    item.verify_window_days = f.verify_window_days


def add_action_item(*, postmortem: Postmortem, fields: ItemFields, by: User | None) -> ActionItem:
    _check(postmortem, fields)
    item = ActionItem(community=postmortem.community, postmortem=postmortem, created_by=_user(by))
    _apply(item, fields)
    item.save()
    return item


def _locked(item: ActionItem, expected_version: int | None) -> ActionItem:
    locked = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("postmortem__community", "verify_clause")
        .get(pk=item.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise StaleActionItem(
            _("Someone else changed this action item since you loaded it. Reload and try again.")
        )
    return locked


def _bump(item: ActionItem, *fields: str) -> None:
    item.version += 1
    item.save(update_fields=[*fields, "version"])


def update_action_item(
    *, item: ActionItem, fields: ItemFields, expected_version: int | None, by: User | None
) -> ActionItem:
    """Edit an item that is not being verified (nor verified: its evidence stands)."""
    with transaction.atomic():
        locked = _locked(item, expected_version)
        if locked.status in (ActionStatus.VERIFYING, ActionStatus.VERIFIED):
            raise ServiceError(
                _("This item is being verified (or was verified); its definition stays as it was.")
            )
        _check(locked.postmortem, fields)
        _apply(locked, fields)
        _bump(
            locked,
            "title",
            "kind",
            "owner",
            "due_on",
            "verification_criterion",
            "changes",
            "contract_version",
            "runbook",
            "alert_rule",
            "verify_clause",
            "verify_target",
            "verify_window_days",
        )
    return locked


def _fulfilment_refusal(item: ActionItem) -> str | None:
    if item.kind in (ActionKind.CLAUSE, ActionKind.ALERT) and item.contract_version_id is None:
        return _(
            "Link the contract version that made this change before marking it done "
            "(publish the clause change first)."
        )
    if item.kind == ActionKind.ALERT and not item.alert_rule:
        return _("Name the alert rule this item changed before marking it done.")
    if item.kind == ActionKind.RUNBOOK and item.runbook_id is None:
        return _("Link the runbook that was changed before marking it done.")
    return None


def mark_done(
    *, item: ActionItem, expected_version: int | None, by: User | None, now: datetime | None = None
) -> ActionItem:
    """The owner marks the item done. A guardrail with a verification moves to *verifying* for
    its window; anything else is done."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(item, expected_version)
        if locked.status not in (ActionStatus.OPEN, ActionStatus.REOPENED):
            raise ServiceError(
                _("This item is already %(status)s.")
                % {"status": locked.get_status_display().lower()}
            )
        refusal = _fulfilment_refusal(locked)
        if refusal:
            raise ServiceError(refusal)
        locked.done_at = now
        locked.done_by = _user(by)
        fields = ["status", "done_at", "done_by"]
        if locked.has_verification:
            clause = locked.verify_clause
            assert clause is not None and locked.verify_window_days is not None
            if clause.retired_at is not None or clause.published_definition() is None:
                raise ServiceError(
                    _(
                        "“%(title)s” is no longer in the contract, so it cannot verify this item. "
                        "Choose a clause that is."
                    )
                    % {"title": clause.title}
                )
            locked.status = ActionStatus.VERIFYING
            locked.verification_started_at = now
            locked.verification_ends_at = now + timedelta(days=locked.verify_window_days)
            fields += ["verification_started_at", "verification_ends_at"]
        else:
            locked.status = ActionStatus.DONE
        _bump(locked, *fields)
    return locked


def reopen_by_hand(
    *, item: ActionItem, expected_version: int | None, by: User | None
) -> ActionItem:
    """A person reopens a done item (a verified one keeps its evidence and stays verified)."""
    with transaction.atomic():
        locked = _locked(item, expected_version)
        if locked.status != ActionStatus.DONE:
            raise ServiceError(_("Only a done item can be reopened by hand."))
        locked.status = ActionStatus.REOPENED
        locked.reopened_at = timezone.now()
        locked.reopen_count += 1
        _bump(locked, "status", "reopened_at", "reopen_count")
        timeline.item_reopened(locked, by=by, why="by_hand")
    return locked


def set_status(
    *, item: ActionItem, status: str, expected_version: int | None, by: User | None
) -> ActionItem:
    """The API's one status change: ``done`` (as :func:`mark_done`) or ``reopened``."""
    if status == ActionStatus.DONE:
        return mark_done(item=item, expected_version=expected_version, by=by)
    if status == ActionStatus.REOPENED:
        return reopen_by_hand(item=item, expected_version=expected_version, by=by)
    raise ServiceError(
        _(
            "Set an item's status to done (or reopened); verifying and verified come from the "
            "clause's indicator, not by hand."
        )
    )


# --- Verification -------------------------------------------------------------------------------


def window_counts(*, clause: Clause, start: datetime, end: datetime) -> tuple[int, int]:
    """(total, bad) events of the clause's published definition whose behaviour happened in
    (start, end]: the rows its live SLI counts (the contract's own selectors)."""
    definition = clause.published_definition()
    if definition is None:
        return 0, 0
    total_q, bad_q = selectors(clause.community_id, definition, end)
    rows = ConductEvent.objects.filter(
        community_id=clause.community_id, occurred_at__gt=start, occurred_at__lte=end
    )
    if definition.spaces:
        rows = rows.filter(space_id__in=definition.spaces)
    counts: dict[str, Any] = rows.aggregate(
        total=Count("pk", filter=total_q), bad=Count("pk", filter=bad_q)
    )
    return int(counts["total"]), int(counts["bad"])


def check_verification(*, item: ActionItem, now: datetime | None = None) -> ActionItem:
    """Look at a verifying item's clause over its window so far: verified at the end if the
    SLI met the target all along, reopened (its owner told) as soon as it breaches."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(item, None)
        if locked.status != ActionStatus.VERIFYING:
            return locked
        clause = locked.verify_clause
        start, ends = locked.verification_started_at, locked.verification_ends_at
        assert clause is not None and start is not None and ends is not None
        assert locked.verify_target is not None
        definition = clause.published_definition() if clause.retired_at is None else None
        end = min(now, ends)
        if definition is None:  # retired while verifying: it cannot be shown to work
            total, bad = 0, 0
            result = rules.VerificationResult(rules.Verdict.BREACHED, None)
        else:
            total, bad = window_counts(clause=clause, start=start, end=end)
            result = rules.verification_verdict(
                total=total,
                bad=bad,
                target=locked.verify_target,
                window_over=now >= ends,
                min_bad_events=definition.min_bad_events,
            )
        VerificationCheck.objects.create(
            item=locked,
            at=now,
            total=total,
            bad=bad,
            sli=result.sli.quantize(SIX_PLACES) if result.sli is not None else None,
            meets_target=result.verdict != rules.Verdict.BREACHED,
        )
        locked.last_checked_at = now
        locked.last_sli = result.sli.quantize(SIX_PLACES) if result.sli is not None else None
        fields = ["last_checked_at", "last_sli"]
        if result.verdict == rules.Verdict.VERIFIED:
            locked.status = ActionStatus.VERIFIED
            locked.verified_at = now
            fields += ["status", "verified_at"]
            timeline.item_verified(locked)
        elif result.verdict == rules.Verdict.BREACHED:
            locked.status = ActionStatus.REOPENED
            locked.reopened_at = now
            locked.reopen_count += 1
            fields += ["status", "reopened_at", "reopen_count"]
            _tell_owner_reopened(locked, clause, retired=definition is None)
            timeline.item_reopened(
                locked,
                by=None,
                why="left_contract" if definition is None else "fell_below",
            )
        if len(fields) > 2:
            _bump(locked, *fields)
        else:
            locked.save(update_fields=fields)
    return locked


def _tell_owner_reopened(item: ActionItem, clause: Clause, *, retired: bool) -> None:
    target = format((item.verify_target or Decimal(0)) * 100, "f").rstrip("0").rstrip(".")
    community = item.postmortem.community
    # Written in the owner's language, whoever's change reopened it.
    with translation.override(language_for_membership(item.owner)):
        if retired:
            body = _("“%(title)s” left the contract while it was verifying this item.") % {
                "title": clause.title_in()
            }
        else:
            sli = item.last_sli
            seen = f"{format(sli * 100, '.1f')} %" if sli is not None else _("no data")
            body = _(
                "“%(title)s” fell below its %(target)s %% target while this change was being "
                "verified (it measured %(seen)s). Look again at what the change needs."
            ) % {"title": clause.title_in(), "target": target, "seen": seen}
        notify(
            community=community,
            recipients=[item.owner],
            kind=NotificationKind.ACTION_ITEM_REOPENED,
            title=_("“%(title)s” was reopened") % {"title": item.title},
            body=body,
            link=reverse("postmortems:editor", args=[community.slug, item.postmortem_id])
            + f"#item-{item.pk}",
            key=f"action-item-reopened:{item.pk}:{item.reopen_count}",
        )


def check_all_verifications(*, now: datetime | None = None) -> int:
    """Check every verifying item (the periodic sweep). Returns how many were checked."""
    checked = 0
    for item in ActionItem.objects.verifying().order_by("pk"):
        check_verification(item=item, now=now)
        checked += 1
    return checked
