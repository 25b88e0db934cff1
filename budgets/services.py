"""State changes of the budgets app. Views, the API, tasks, commands and the spine's signal all
call these; only these enqueue tasks (after commit)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from budgets.charge_words import (
    charge_refusal,
    event_charge_reason,
    flag_rejected_reason,
    reversed_on_appeal_reason,
)
from budgets.models import (
    Appeal,
    AppealStatus,
    Charge,
    Forgiveness,
    ForgivenessKind,
    ForgivenessPolicy,
    Notice,
    NoticeAudience,
    PolicyVersion,
)
from budgets.notify import notify_appeal_decided, notify_appeal_filed, tier_key
from budgets.policy_words import not_settings, nothing_changed, policy_problems
from budgets.recalculation import recalculate_members_now
from budgets.scheduling import mark_dirty, schedule_recalculation
from community.contract.hooks import TrialCosts, trial_costs
from community.jobs import enqueue_after_commit
from community.language import language_for_membership
from community.models import (
    Community,
    ConductEvent,
    DeliveryOutcome,
    Membership,
    NotificationKind,
)
from community.notifications import record_email, try_email, wants_email
from community.services import ServiceError
from community.vocabulary import (
    ACTIVITY_KINDS,
    FRICTION_KINDS,
    REVERSING_KINDS,
    Severity,
)


class PolicyError(ServiceError):
    """A policy out of range; ``errors`` maps each field to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# --- Policy ---------------------------------------------------------------------------------


def get_policy(*, community: Community) -> ForgivenessPolicy:
    """The community's policy, created with the defaults (version 1) on first use."""
    return ForgivenessPolicy.objects.for_community(community)


POLICY_FIELDS = (
    "window_days",
    "member_target",
    "floor_points",
    "costs",
    "tier_actions",
    "cooldown_hours",
    "appeal_days",
)


def _comparable(policy: ForgivenessPolicy) -> dict[str, Any]:
    """The policy's settings as values (3 and "3.0" points are the same cost)."""
    settings_ = policy.as_dict()
    del settings_["version"]
    settings_["costs"] = {
        kind: {sev: Decimal(str(v)) for sev, v in by_sev.items()}
        for kind, by_sev in settings_["costs"].items()
    }
    return settings_


def update_policy(
    *, community: Community, changes: dict[str, Any], by: User | None, note: str = ""
) -> ForgivenessPolicy:
    """Validate and save a new version of the policy, then recalculate every budget."""
    unknown = sorted(set(changes) - set(POLICY_FIELDS))
    if unknown:
        raise PolicyError(not_settings(unknown))
    with transaction.atomic():
        policy = get_policy(community=community)
        policy = ForgivenessPolicy.objects.select_for_update().get(pk=policy.pk)
        before = _comparable(policy)
        proposed = {name: getattr(policy, name) for name in POLICY_FIELDS} | changes
        errors = policy_problems(proposed)
        if errors:
            raise PolicyError(errors)
        target = proposed["member_target"]
        policy.window_days = int(proposed["window_days"])
        policy.member_target = None if target in (None, "") else Decimal(str(target))
        policy.floor_points = Decimal(str(proposed["floor_points"]))
        policy.costs = {
            kind: {sev: str(Decimal(str(v))) for sev, v in by_sev.items()}
            for kind, by_sev in proposed["costs"].items()
        }
        policy.tier_actions = {tier: list(a) for tier, a in proposed["tier_actions"].items()}
        policy.cooldown_hours = int(proposed["cooldown_hours"])
        policy.appeal_days = int(proposed["appeal_days"])
        if _comparable(policy) == before:
            # Saving the same settings again would add a version and recalculate everyone.
            raise PolicyError(nothing_changed())
        policy.version += 1
        policy.updated_at = timezone.now()
        policy.save()
        PolicyVersion.objects.create(
            community=community,
            version=policy.version,
            snapshot=policy.as_dict(),
            note=note[:300],
            created_by=by if by is not None and by.is_authenticated else None,
        )
        schedule_recalculation(community=community, full=True)
    return policy


# --- Charges from the spine's conduct events ------------------------------------------------


def _in_trial(trial: TrialCosts | None, event: ConductEvent) -> bool:
    return trial is not None and event.space_id in trial.space_ids


def _cost(policy: ForgivenessPolicy, trial: TrialCosts | None, event: ConductEvent) -> Decimal:
    """What the charge for ``event`` costs: the trial's cost in a space where a budget policy
    is on trial, else the policy in force."""
    if trial is not None and _in_trial(trial, event):
        tried = trial.cost_for(event.kind, event.severity or Severity.MODERATE)
        if tried is not None:
            return tried
    return policy.cost_for(event.kind, event.severity)


def charge_events(*, community: Community, events: Sequence[ConductEvent]) -> list[Charge]:
    """Ledger entries for new conduct events (the spine's ``conduct_events_recorded``).

    One charge per friction event (idempotent: the event is a unique key of the charge); a
    rejected flag releases the active charge of the upheld flag on the same subject (a
    Forgiveness entry, never an edit). Members whose ledger or activity changed are marked
    for a coalesced recalculation after commit.
    """
    policy = get_policy(community=community)
    trial = trial_costs(community.pk)
    friction = [e for e in events if e.kind in FRICTION_KINDS and e.member is not None]
    already = set(Charge.objects.filter(event__in=friction).values_list("event_id", flat=True))
    charges = Charge.objects.bulk_create(
        [
            Charge(
                community=community,
                membership=e.member,
                event=e,
                kind=e.kind,
                category=e.category,
                severity=e.severity or Severity.MODERATE,
                cost=_cost(policy, trial, e),
                reason=event_charge_reason(community, e, trial),
                occurred_at=e.occurred_at,
                recorded_at=e.recorded_at,
            )
            for e in friction
            if e.pk not in already
        ]
    )
    released = _release_for_reversing_events(community=community, events=events)
    dirty = {e.member_id for e in events if e.member_id is not None and e.kind in ACTIVITY_KINDS}
    dirty |= {c.membership_id for c in charges}
    dirty |= {f.charge.membership_id for f in released}
    mark_dirty(community=community, membership_ids=dirty)
    return charges


def _release_for_reversing_events(
    *, community: Community, events: Sequence[ConductEvent]
) -> list[Forgiveness]:
    released: list[Forgiveness] = []
    for event in events:
        reversed_kind = REVERSING_KINDS.get(event.kind)
        if reversed_kind is None or not event.subject:
            continue
        if Forgiveness.objects.filter(event=event).exists():
            continue  # this rejection already released its charge (a replay)
        charge = (
            Charge.objects.active()
            .filter(community=community, kind=reversed_kind, event__subject=event.subject)
            .order_by("occurred_at", "pk")
            .first()
        )
        if charge is None:
            continue
        released.append(
            Forgiveness.objects.create(
                community=community,
                charge=charge,
                kind=ForgivenessKind.FLAG_REJECTED,
                reason=flag_rejected_reason(community),
                event=event,
            )
        )
    return released


def charge_existing_events(*, community: Community) -> int:
    """Charges for friction events stored before this app listened (idempotent)."""
    events = list(
        ConductEvent.objects.filter(
            community=community, kind__in=FRICTION_KINDS, member__isnull=False, charge__isnull=True
        ).order_by("recorded_at", "pk")
    )
    reversing = list(
        ConductEvent.objects.filter(community=community, kind__in=REVERSING_KINDS).order_by(
            "recorded_at", "pk"
        )
    )
    with transaction.atomic():
        created = charge_events(community=community, events=events)
        charge_events(community=community, events=reversing)
    return len(created)


def create_charge(
    *,
    community: Community,
    membership: Membership,
    kind: str,
    severity: str,
    reason: str,
    occurred_at: datetime,
    by: User | None,
    cost: Decimal | None = None,
) -> Charge:
    """A moderator's own charge (not from a forum event)."""
    refusal = charge_refusal(
        community=community,
        membership=membership,
        kind=kind,
        severity=severity,
        reason=reason,
        occurred_at=occurred_at,
        cost=cost,
    )
    if refusal is not None:
        raise ServiceError(refusal)
    if cost is None:
        cost = get_policy(community=community).cost_for(kind, severity)
    with transaction.atomic():
        charge = Charge.objects.create(
            community=community,
            membership=membership,
            kind=kind,
            severity=severity,
            cost=cost,
            reason=reason.strip()[:300],
            occurred_at=occurred_at,
            created_by=by if by is not None and by.is_authenticated else None,
        )
        mark_dirty(community=community, membership_ids=[membership.pk])
    return charge


# --- Forgiveness and appeals ----------------------------------------------------------------


def forgive_charges(
    *,
    charges: Iterable[Charge],
    reason: str,
    by: User | None,
    kind: str = ForgivenessKind.GRACE,
) -> list[Forgiveness]:
    """Release charges (moderator grace, a restorative agreement kept, an upheld appeal).

    Charges already released are left as they are (their first entry stands); the members
    concerned are recalculated in the same transaction, so their budget recovers at once and
    a pause on their posting that the recovery no longer calls for is lifted. Returns the new
    entries.
    """
    if kind not in ForgivenessKind.values:
        raise ServiceError(
            _("Forgiveness is one of %(kinds)s.") % {"kinds": ", ".join(ForgivenessKind.values)}
        )
    if not reason.strip():
        raise ServiceError(_("Say why the charges are forgiven; the member will read it."))
    wanted = list(charges)
    created: list[Forgiveness] = []
    with transaction.atomic():
        locked = Charge.objects.select_for_update().filter(pk__in=[c.pk for c in wanted])
        for charge in locked.order_by("pk").select_related("community"):
            if Forgiveness.objects.filter(charge=charge).exists():
                continue
            created.append(
                Forgiveness.objects.create(
                    community=charge.community,
                    charge=charge,
                    kind=kind,
                    reason=reason.strip()[:500],
                    by=by if by is not None and by.is_authenticated else None,
                )
            )
        by_community: dict[int, set[int]] = {}
        for entry in created:
            by_community.setdefault(entry.community_id, set()).add(entry.charge.membership_id)
        for community_id, members in by_community.items():
            community = Community.objects.get(pk=community_id)
            # The budget recovers at once (and a pause it no longer needs is lifted); the
            # mark keeps the usual recalculation as a safety net.
            recalculate_members_now(community=community, membership_ids=sorted(members))
            mark_dirty(community=community, membership_ids=members)
    return created


def file_appeal(*, charge: Charge, membership: Membership, statement: str) -> Appeal:
    """A member appeals one of their own charges, once, within the policy's period."""
    if charge.membership_id != membership.pk:
        raise ServiceError(_("Only the member a charge belongs to can appeal it."))
    statement = statement.strip()
    if not statement:
        raise ServiceError(_("Tell the moderators, in your own words, why the charge is wrong."))
    policy = get_policy(community=charge.community)
    deadline = policy.appeal_deadline(charge.recorded_at)
    if timezone.now() > deadline:
        raise ServiceError(
            _(
                "The appeal period for this charge ended on %(deadline)s (%(days)s days after "
                "it was recorded)."
            )
            % {"deadline": formats.date_format(deadline), "days": policy.appeal_days}
        )
    if Forgiveness.objects.filter(charge=charge).exists():
        raise ServiceError(_("This charge no longer counts, so there is nothing to appeal."))
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                community=charge.community,
                charge=charge,
                membership=membership,
                statement=statement[:4000],
            )
            notify_appeal_filed(appeal=appeal)
            return appeal
    except IntegrityError:
        raise ServiceError(
            _("This charge has already been appealed (one appeal per charge).")
        ) from None


def decide_appeal(*, appeal: Appeal, uphold: bool, reason: str, by: User) -> Appeal:
    """A moderator decides an appeal with a reason. ``uphold``: the charge is reversed (its own
    entry) and the budget recalculated; otherwise the charge stands. The member is told either
    way, in those words ("charge reversed", "charge stands")."""
    if not reason.strip():
        raise ServiceError(_("Give the reason for the decision; the member will read it."))
    with transaction.atomic():
        appeal = (
            Appeal.objects.select_for_update()
            .select_related("charge", "community")
            .get(pk=appeal.pk)
        )
        if appeal.status != AppealStatus.PENDING:
            raise ServiceError(_("This appeal has already been decided."))
        appeal.status = AppealStatus.UPHELD if uphold else AppealStatus.DECLINED
        appeal.decided_at = timezone.now()
        appeal.decided_by = by
        appeal.decision_reason = reason.strip()[:4000]
        appeal.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        if uphold:
            forgive_charges(
                charges=[appeal.charge],
                reason=reversed_on_appeal_reason(appeal.community, appeal.decision_reason),
                by=by,
                kind=ForgivenessKind.APPEAL,
            )
        # The member's note (on My budget) is in the member's language, as every notice is.
        with translation.override(language_for_membership(appeal.membership)):
            Notice.objects.create(
                community=appeal.community,
                membership_id=appeal.membership_id,
                audience=NoticeAudience.MEMBER,
                kind="appeal_decided",
                title=(
                    _("Your appeal: charge reversed. It no longer counts")
                    if uphold
                    else _("Your appeal was looked at: the charge stands")
                ),
                body=_("%(reason)s. The moderators wrote: %(decision)s")
                % {"reason": appeal.charge.reason, "decision": appeal.decision_reason},
            )
        notify_appeal_decided(appeal=appeal, reversed_=uphold)
    return appeal


# --- Notices --------------------------------------------------------------------------------


def email_notices(*, notice_ids: Sequence[int], attempt: int = 1) -> int:
    """Send the e-mail copy of private nudges, once each (``emailed_at`` marks it sent). A
    transient mail-server failure is tried again for that nudge alone, with the same bound and
    delays as every notification's e-mail (``community.notifications.mail_failure``); each try
    is recorded on the tier-change notification."""
    sent = 0
    for notice_id in notice_ids:
        with transaction.atomic():
            notice = (
                Notice.objects.select_for_update(of=("self",))
                .select_related("membership__user", "community")
                .filter(pk=notice_id, emailed_at__isnull=True)
                .first()
            )
            if notice is None or notice.membership.user is None:
                continue
            address = notice.membership.user.email
            if not address:
                continue
            # The nudge's e-mail is the e-mail copy of the tier-change notification.
            if not wants_email(membership=notice.membership, kind=NotificationKind.TIER_CHANGED):
                _record_nudge_email(notice, DeliveryOutcome.SKIPPED, "E-mail turned off.")
                continue
            link = f"{settings.SITE_URL}/c/{notice.community.slug}/my-budget/"
            with translation.override(language_for_membership(notice.membership)):
                message = _("See your budget explained: %(link)s") % {"link": link}
                sent += _send_nudge(
                    notice, message=f"{notice.body}\n\n{message}\n", attempt=attempt
                )
    return sent


def _send_nudge(notice: Notice, *, message: str, attempt: int) -> int:
    """One try at a nudge's e-mail (in its member's language, active around it); 1 if sent."""
    if not try_email(
        what=f"nudge {notice.pk}",
        subject=notice.title,
        message=message,
        address=notice.membership.user.email if notice.membership.user else "",
        attempt=attempt,
        record=partial(_record_nudge_email, notice, attempt=attempt),
        retry=partial(_retry_nudge_email, notice, attempt=attempt),
    ):
        return 0
    notice.emailed_at = timezone.now()
    notice.save(update_fields=["emailed_at"])
    return 1


def _retry_nudge_email(notice: Notice, delay: int, *, attempt: int) -> None:
    enqueue_after_commit("budgets.email_notices", [notice.pk], attempt + 1, countdown=delay)


def _record_nudge_email(notice: Notice, outcome: str, detail: str, *, attempt: int = 0) -> None:
    if notice.transition_id is not None:
        record_email(
            key=tier_key(notice.transition_id),
            membership=notice.membership,
            outcome=outcome,
            detail=detail,
            attempt=attempt,
        )
