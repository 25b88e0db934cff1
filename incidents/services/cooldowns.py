"""Cooldowns on spaces: start, extend, lift, expire on time; and whether a space is calm."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from community.domain_events import record_domain_event
from community.jobs import enqueue_after_commit
from community.language import in_community_language
from community.models import Community, ConductEvent, DomainEventType, Space, bad_event_q
from community.services import ServiceError
from community.vocabulary import ACTIVITY_KINDS, FRICTION_KINDS
from incidents import rules
from incidents.models import (
    Cooldown,
    CooldownEndReason,
    CooldownMode,
    Incident,
    IncidentStatus,
    StepRun,
    TimelineKind,
)
from incidents.services.common import (
    MAX_SLOW_MODE_SECONDS,
    Actor,
    _entry,
    _iso,
    _locked,
    _save,
    cooldown_payload,
    settings_for,
    space_payload,
)
from incidents.services.lifecycle import _transition
from incidents.words import duration

logger = logging.getLogger(__name__)

# --- Cooldowns ------------------------------------------------------------------------------


def start_cooldown(
    *,
    community: Community,
    space: Space,
    mode: str,
    ends_at: datetime | None,
    actor: Actor,
    slow_mode_seconds: int | None = None,
    incident: Incident | None = None,
    expected_version: int | None = None,
    step_run: StepRun | None = None,
) -> Cooldown:
    if space.community_id != community.pk:
        raise ServiceError(_("That space belongs to another community; a cooldown stays at home."))
    if mode not in CooldownMode.values:
        raise ServiceError(_("Choose slow mode or read-only."))
    if mode == CooldownMode.SLOW_MODE:
        if not slow_mode_seconds or not 0 < slow_mode_seconds <= MAX_SLOW_MODE_SECONDS:
            raise ServiceError(
                _("Slow mode needs an interval between 1 and %(MAX_SLOW_MODE_SECONDS)s seconds.")
                % {"MAX_SLOW_MODE_SECONDS": MAX_SLOW_MODE_SECONDS}
            )
    else:
        slow_mode_seconds = None
    now = timezone.now()
    _check_end(community, ends_at, now)
    assert ends_at is not None
    with transaction.atomic():
        inc = None
        if incident is not None:
            inc = _locked(incident.pk, expected_version)
            if inc.community_id != community.pk:
                raise ServiceError(_("That incident belongs to another community."))
            if not inc.is_open:
                raise ServiceError(_("This incident is no longer open."))
        active = Cooldown.objects.select_for_update().filter(space=space, ended_at__isnull=True)
        existing = active.first()
        if existing is not None:
            raise ServiceError(
                _(
                    "%(name)s already has an active cooldown until %(ends_at)s UTC; extend that "
                    "one instead."
                )
                % {"name": space.name, "ends_at": f"{existing.ends_at:%Y-%m-%d %H:%M}"}
            )
        try:
            with transaction.atomic():
                cooldown = Cooldown.objects.create(
                    community=community,
                    space=space,
                    incident=inc,
                    step_run=step_run,
                    mode=mode,
                    slow_mode_seconds=slow_mode_seconds,
                    starts_at=now,
                    ends_at=ends_at,
                    started_by=actor.user,
                    started_by_label=actor.name,
                )
        except IntegrityError:
            raise ServiceError(
                _("%(name)s already has an active cooldown.") % {"name": space.name}
            ) from None
        record_domain_event(
            community=community,
            type=DomainEventType.COOLDOWN_STARTED,
            payload=cooldown_payload(cooldown),
        )
        if inc is not None:
            if not inc.spaces.filter(pk=space.pk).exists():
                inc.spaces.add(space)
            fields = []
            if inc.first_cooldown_at is None:
                inc.first_cooldown_at = now
                fields.append("first_cooldown_at")
            _save(inc, *fields)
            _entry(
                inc,
                TimelineKind.COOLDOWN,
                lambda: (
                    _("Cooldown started on %(space)s: %(mode)s until %(ends_at)s UTC.")
                    % {
                        "space": space.name,
                        "mode": cooldown.describe(),
                        "ends_at": f"{ends_at:%H:%M}",
                    }
                ),
                actor,
                data={"cooldown_id": cooldown.pk},
            )
            if inc.status == IncidentStatus.DECLARED:
                on_words = in_community_language(inc.community, lambda: _("A cooldown is on."))
                _transition(inc, IncidentStatus.MITIGATING, actor, reason=on_words)
        enqueue_after_commit("incidents.end_cooldown", cooldown.pk, eta=ends_at)
    return cooldown


def _check_end(community: Community, ends_at: datetime | None, now: datetime) -> None:
    if ends_at is None:
        raise ServiceError(_("A cooldown needs an end: every restriction is timed."))
    if ends_at <= now:
        raise ServiceError(_("The end must be in the future."))
    limit = settings_for(community).max_cooldown_minutes
    if ends_at - now > timedelta(minutes=limit):
        raise ServiceError(
            _("That is longer than this community's maximum cooldown of %(duration)s.")
            % {"duration": duration(timedelta(minutes=limit))}
        )


def extend_cooldown(
    *,
    cooldown: Cooldown,
    actor: Actor,
    by: timedelta | None = None,
    ends_at: datetime | None = None,
    expected_version: int | None = None,
) -> Cooldown:
    """Move a cooldown's end later: ``by`` a duration added to its current end, or to a given
    ``ends_at``. The new end is computed under the cooldown's row lock, so two extensions at
    once add up instead of one overwriting the other. (If the broker is down when the new end is
    scheduled, the periodic sweep ends the cooldown on time anyway.)"""
    if (by is None) == (ends_at is None):
        raise TypeError("extend_cooldown takes exactly one of `by` and `ends_at`.")
    now = timezone.now()
    with transaction.atomic():
        inc = _locked(cooldown.incident_id, expected_version) if cooldown.incident_id else None
        cd = (
            Cooldown.objects.select_for_update()
            .select_related("space", "community")
            .get(pk=cooldown.pk)
        )
        if cd.ended_at is not None:
            raise ServiceError(_("This cooldown has already ended; start a new one if needed."))
        if by is not None:
            ends_at = cd.ends_at + by
        _check_end(cd.community, ends_at, now)
        assert ends_at is not None
        if ends_at <= cd.ends_at:
            raise ServiceError(
                _(
                    "To extend, choose an end after the current one (%(ends_at)s UTC). To end it "
                    "sooner, lift it."
                )
                % {"ends_at": f"{cd.ends_at:%H:%M}"}
            )
        old = cd.ends_at
        cd.ends_at = ends_at
        cd.save(update_fields=["ends_at"])
        record_domain_event(
            community=cd.community,
            type=DomainEventType.COOLDOWN_EXTENDED,
            payload=cooldown_payload(cd),
        )
        if inc is not None:
            _save(inc)
            _entry(
                inc,
                TimelineKind.COOLDOWN,
                lambda: (
                    _("Cooldown on %(space)s extended from %(old)s to %(new)s UTC.")
                    % {"space": cd.space.name, "old": f"{old:%H:%M}", "new": f"{ends_at:%H:%M}"}
                ),
                actor,
                data={"cooldown_id": cd.pk},
            )
        enqueue_after_commit("incidents.end_cooldown", cd.pk, eta=ends_at)
    return cd


def lift_cooldown(
    *, cooldown: Cooldown, reason: str, actor: Actor, expected_version: int | None = None
) -> Cooldown:
    reason = reason.strip()
    if not reason:
        raise ServiceError(_("Say why the cooldown is lifted early (it goes on the timeline)."))
    with transaction.atomic():
        inc = _locked(cooldown.incident_id, expected_version) if cooldown.incident_id else None
        return _end_cooldown(cooldown.pk, CooldownEndReason.LIFTED, actor, inc, note=reason)


def _end_cooldown(
    cooldown_id: int,
    reason: str,
    actor: Actor,
    inc: Incident | None,
    *,
    note: str = "",
    now: datetime | None = None,
) -> Cooldown:
    cd = (
        Cooldown.objects.select_for_update()
        .select_related("space", "community")
        .get(pk=cooldown_id)
    )
    if cd.ended_at is not None:
        raise ServiceError(_("This cooldown has already ended."))
    cd.ended_at = now or timezone.now()
    cd.end_reason = reason
    cd.lift_reason = note
    cd.save(update_fields=["ended_at", "end_reason", "lift_reason"])
    record_domain_event(
        community=cd.community,
        type=DomainEventType.COOLDOWN_ENDED,
        payload={
            "cooldown_id": cd.pk,
            "incident_id": cd.incident_id,
            "space": space_payload(cd.space),
            "mode": cd.mode,
            "ended_at": _iso(cd.ended_at),
            "reason": reason,
        },
    )
    if inc is not None:
        _save(inc)
        space_name = cd.space.name

        def ended() -> str:
            words = {
                CooldownEndReason.EXPIRED: _("Cooldown on %(space)s ended on time."),
                CooldownEndReason.LIFTED: _("Cooldown on %(space)s lifted early."),
                CooldownEndReason.CALM: _("Cooldown on %(space)s lifted: the space is calm."),
            }[CooldownEndReason(reason)] % {"space": space_name}
            return f"{words} {note}" if note else words

        _entry(
            inc,
            TimelineKind.COOLDOWN,
            ended,
            actor,
            data={"cooldown_id": cd.pk, "reason": reason},
        )
    return cd


def expire_cooldown(*, cooldown_id: int) -> bool:
    """End a cooldown whose time is up. Safe to call early, twice or after an extension: it
    acts only on an active cooldown whose end has passed."""
    with transaction.atomic():
        cd = Cooldown.objects.filter(pk=cooldown_id).first()
        if cd is None or cd.ended_at is not None or cd.ends_at > timezone.now():
            return False
        inc = _locked(cd.incident_id, None) if cd.incident_id else None
        cd = Cooldown.objects.select_for_update().get(pk=cooldown_id)
        if cd.ended_at is not None:
            return False
        _end_cooldown(cd.pk, CooldownEndReason.EXPIRED, Actor.system("timer"), inc, now=cd.ends_at)
    return True


def sweep_expired_cooldowns() -> int:
    """End every cooldown that is past its end (in case a scheduled end was lost)."""
    ended = 0
    for pk in Cooldown.objects.overdue(timezone.now()).values_list("pk", flat=True):
        ended += expire_cooldown(cooldown_id=pk)
    return ended


# --- Calm ------------------------------------------------------------------------------------


def space_calm(
    *,
    space: Space,
    target: str = "0.98",
    threshold: str = "1",
    long_minutes: int = 60,
    short_minutes: int = 5,
    now: datetime | None = None,
) -> rules.CalmVerdict:
    """Burn rate of the space over a long and a short window (by recorded time, as alerts).
    Bad events are the clause SLI's: friction that was later reversed does not count."""
    now = now or timezone.now()
    bad = bad_event_q(FRICTION_KINDS, community_id=space.community_id, as_of=now)
    counts = []
    for minutes in (long_minutes, short_minutes):
        since = now - timedelta(minutes=minutes)
        row = ConductEvent.objects.filter(
            space=space, recorded_at__gt=since, recorded_at__lte=now
        ).aggregate(
            bad=Count("pk", filter=bad),
            total=Count("pk", filter=Q(kind__in=ACTIVITY_KINDS)),
        )
        counts.append(
            rules.WindowCount(
                hours=Decimal(minutes) / 60, bad=row["bad"] or 0, total=row["total"] or 0
            )
        )
    return rules.is_calm(counts[0], counts[1], target=target, threshold=threshold)
