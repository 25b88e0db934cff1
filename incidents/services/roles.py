"""Incident roles: the facilitator handoff (offered, then accepted), deputies, scribes, liaisons
and support people, their checklists, notes on the timeline, and the follow-ups the postmortem
writes there."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import Membership
from community.services import ServiceError
from incidents.models import (
    FacilitatorHandoff,
    HandoffStatus,
    Incident,
    IncidentRole,
    RoleKind,
    TimelineEntry,
    TimelineKind,
)
from incidents.models.incidents import FOLLOWUP_KINDS, MODERATOR_ROLES
from incidents.notify import notify_facilitator_offered
from incidents.services.common import (
    Actor,
    _check_members,
    _entry,
    _locked,
    _save,
)


def _active_role(inc: Incident, kind: str) -> IncidentRole | None:
    return inc.roles.active().filter(kind=kind).select_related("membership").first()


def offer_facilitator(
    *, incident: Incident, to: Membership, expected_version: int | None, actor: Actor
) -> FacilitatorHandoff:
    """Offer to make ``to`` the facilitator. It takes effect when they accept; a moderator who
    offers it to themselves has accepted by doing so."""
    with transaction.atomic():
        inc = _locked(incident.pk, expected_version)
        if not inc.is_open:
            raise ServiceError(_("This incident is no longer open."))
        _check_members(inc.community, [to])
        if not to.is_moderator or to.user_id is None:
            raise ServiceError(
                _("%(display_name)s cannot facilitate: facilitators are moderators with a login.")
                % {"display_name": to.display_name}
            )
        current = _active_role(inc, RoleKind.FACILITATOR)
        if current is not None and current.membership_id == to.pk:
            raise ServiceError(
                _("%(display_name)s is already the facilitator.")
                % {"display_name": to.display_name}
            )
        if inc.handoffs.filter(status=HandoffStatus.OFFERED).exists():
            raise ServiceError(
                _("An offer to facilitate is still waiting for an answer; withdraw it first.")
            )
        handoff = FacilitatorHandoff.objects.create(
            incident=inc,
            to_membership=to,
            from_membership=current.membership if current else None,
            offered_by=actor.user,
        )
        _save(inc)
        _entry(
            inc,
            TimelineKind.HANDOFF,
            lambda: _("Offered the facilitator role to %(name)s.") % {"name": to.display_name},
            actor,
            data={"handoff_id": handoff.pk, "to": to.pk},
        )
        if actor.user is not None and actor.user.pk == to.user_id:
            _accept(inc, handoff, actor)
        else:
            notify_facilitator_offered(handoff=handoff, incident=inc)
    return handoff


def respond_to_handoff(*, handoff: FacilitatorHandoff, user: User, accept: bool) -> Incident:
    """The person offered the role accepts or declines. Only they can."""
    with transaction.atomic():
        inc = _locked(handoff.incident_id, None)
        offer = FacilitatorHandoff.objects.select_for_update().get(pk=handoff.pk)
        if offer.status != HandoffStatus.OFFERED:
            raise ServiceError(_("This offer is no longer open."))
        to = offer.to_membership
        if to.user_id != user.pk:
            raise ServiceError(
                _("Only %(display_name)s can answer this offer.")
                % {"display_name": to.display_name}
            )
        actor = Actor.person(user)
        if accept:
            _accept(inc, offer, actor)
        else:
            offer.status = HandoffStatus.DECLINED
            offer.responded_at = timezone.now()
            offer.save(update_fields=["status", "responded_at"])
            _save(inc)
            _entry(
                inc,
                TimelineKind.HANDOFF,
                lambda: _("%(name)s declined to facilitate.") % {"name": to.display_name},
                actor,
            )
    return inc


def withdraw_handoff(
    *, handoff: FacilitatorHandoff, expected_version: int | None, actor: Actor
) -> Incident:
    with transaction.atomic():
        inc = _locked(handoff.incident_id, expected_version)
        offer = FacilitatorHandoff.objects.select_for_update().get(pk=handoff.pk)
        if offer.status != HandoffStatus.OFFERED:
            raise ServiceError(_("This offer is no longer open."))
        offer.status = HandoffStatus.WITHDRAWN
        offer.responded_at = timezone.now()
        offer.save(update_fields=["status", "responded_at"])
        _save(inc)
        _entry(
            inc,
            TimelineKind.HANDOFF,
            lambda: (
                _("Withdrew the offer to %(name)s.") % {"name": offer.to_membership.display_name}
            ),
            actor,
        )
    return inc


def _accept(inc: Incident, offer: FacilitatorHandoff, actor: Actor) -> None:
    now = timezone.now()
    current = _active_role(inc, RoleKind.FACILITATOR)
    if current is not None:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
    IncidentRole.objects.create(
        incident=inc,
        kind=RoleKind.FACILITATOR,
        membership=offer.to_membership,
        assigned_by=offer.offered_by,
        assigned_at=now,
    )
    offer.status = HandoffStatus.ACCEPTED
    offer.responded_at = now
    offer.save(update_fields=["status", "responded_at"])
    fields = []
    if inc.facilitator_at is None:
        inc.facilitator_at = now
        fields.append("facilitator_at")
    _save(inc, *fields)
    name = offer.to_membership.display_name
    before = current.membership.display_name if current else ""

    def text() -> str:
        if before:
            return _("%(name)s took over as facilitator from %(before)s.") % {
                "name": name,
                "before": before,
            }
        return _("%(name)s is the facilitator.") % {"name": name}

    _entry(inc, TimelineKind.ROLE, text, actor, data={"role": "facilitator", "to": name})


def assign_role(
    *,
    incident: Incident,
    kind: str,
    membership: Membership | None,
    expected_version: int | None,
    actor: Actor,
) -> Incident:
    """Give a non-facilitator role to someone (or clear it with ``membership=None``)."""
    if kind == RoleKind.FACILITATOR:
        raise ServiceError(_("The facilitator role is offered and takes effect when accepted."))
    if kind not in RoleKind.values:
        raise ServiceError(_("Unknown role “%(kind)s”.") % {"kind": kind})
    with transaction.atomic():
        inc = _locked(incident.pk, expected_version)
        if not inc.is_open:
            raise ServiceError(_("This incident is no longer open."))
        label = RoleKind(kind).label.lower()
        if membership is not None:
            _check_members(inc.community, [membership])
            if kind in MODERATOR_ROLES and not membership.is_moderator:
                raise ServiceError(_("The %(label)s must be a moderator.") % {"label": label})
        current = _active_role(inc, kind)
        if (
            current is not None
            and membership is not None
            and current.membership_id == membership.pk
        ):
            raise ServiceError(
                _("%(display_name)s is already the %(label)s.")
                % {"display_name": membership.display_name, "label": label}
            )
        if current is None and membership is None:
            raise ServiceError(_("Nobody is the %(label)s.") % {"label": label})
        now = timezone.now()
        if current is not None:
            current.ended_at = now
            current.save(update_fields=["ended_at"])
        if membership is not None:
            IncidentRole.objects.create(
                incident=inc, kind=kind, membership=membership, assigned_by=actor.user
            )
            holder = membership.display_name

            def text() -> str:
                return _("%(name)s is the %(role)s.") % {
                    "name": holder,
                    "role": RoleKind(kind).label.lower(),
                }
        else:

            def text() -> str:
                return _("Nobody is the %(role)s any more.") % {
                    "role": RoleKind(kind).label.lower()
                }

        _save(inc)
        _entry(inc, TimelineKind.ROLE, text, actor, data={"role": kind})
    return inc


def tick_checklist_item(*, role: IncidentRole, index: int, actor: Actor) -> IncidentRole:
    """Tick one item of a role's checklist (the holder or a moderator; once)."""
    with transaction.atomic():
        inc = _locked(role.incident_id, None)
        held = IncidentRole.objects.select_for_update().get(pk=role.pk)
        if held.ended_at is not None:
            raise ServiceError(_("This role has been handed on; its checklist is closed."))
        if not 0 <= index < len(held.checklist):
            raise ServiceError(_("No such checklist item."))
        if index in held.done_items:
            raise ServiceError(_("That item is already ticked."))
        held.done_items = sorted({*held.done_items, index})
        held.save(update_fields=["done_items"])
        _save(inc)
        _entry(
            inc,
            TimelineKind.ROLE,
            lambda: (
                _("%(role)s checklist: “%(item)s” done.")
                % {"role": held.get_kind_display(), "item": _(held.checklist[index])}
            ),
            actor,
        )
    return held


def add_note(*, incident: Incident, text: str, actor: Actor) -> TimelineEntry:
    """Notes are appended and never change the incident's state, so they need no version."""
    text = text.strip()
    if not text:
        raise ServiceError(_("Write something in the note."))
    if len(text) > 5000:
        raise ServiceError(_("Keep a note under 5000 characters."))
    return _entry(incident, TimelineKind.NOTE, text, actor)


def record_followup(
    *,
    incident: Incident,
    kind: str,
    text: str,
    actor: Actor,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> TimelineEntry | None:
    """A typed entry for what follows the incident (its postmortem, the circle's agreements),
    written by the feature packages that build on incidents. Only the follow-up kinds; with a
    ``dedupe_key`` the entry is written once (a repeat returns None)."""
    if kind not in FOLLOWUP_KINDS:
        raise ServiceError(_("That is not a follow-up the timeline records."))
    if dedupe_key is not None and TimelineEntry.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    return _entry(incident, kind, text.strip()[:5000], actor, data=data, dedupe_key=dedupe_key)
