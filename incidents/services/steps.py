"""What each automated runbook step does (``_perform``), run by ``execute_step`` in
``incidents.services.runbooks``.

Two rules keep automation from overriding a person: a timed step ("check in again in an
hour") waits for its time, and a re-check that would end a cooldown early while a member's
report or a moderator's note is newer than the cooldown proposes the lift to the facilitator
instead of doing it (``proposed``; decided with ``decide_lift``).
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.domain_events import record_domain_event
from community.hidden import marked
from community.language import in_community_language
from community.models import DomainEventType, Space
from community.services import ServiceError
from incidents.models import (
    Cooldown,
    CooldownEndReason,
    CooldownMode,
    Incident,
    IncidentReport,
    Notice,
    ReportSource,
    ReportStatus,
    RoleKind,
    StepKind,
    StepRun,
    StepStatus,
    TimelineKind,
)
from incidents.notice_templates import fill
from incidents.rules import CalmVerdict
from incidents.rules import _fmt as rate_words
from incidents.services.common import Actor, StepFailed, TransientStepError, _entry, space_payload
from incidents.services.cooldowns import _end_cooldown, space_calm, start_cooldown
from incidents.services.roles import _active_role


def _facilitator_name(inc: Incident) -> str:
    role = _active_role(inc, RoleKind.FACILITATOR)
    return role.membership.display_name if role else _("A moderator")


def calm_words(verdict: CalmVerdict) -> str:
    """A re-check's reading of a space (``CalmVerdict``) in the active language."""
    values = {
        "long": rate_words(verdict.burn_long),
        "short": rate_words(verdict.burn_short),
        "limit": rate_words(verdict.threshold),
    }
    if verdict.calm:
        return (
            _(
                "calm: using its room at %(long)s times the steady pace over the long window and "
                "%(short)s times over the short one, both under %(limit)s times"
            )
            % values
        )
    return (
        _(
            "not calm yet: using its room at %(long)s times the steady pace over the long window "
            "and %(short)s times over the short one; both must be under %(limit)s times"
        )
        % values
    )


def _perform(inc: Incident, sr: StepRun, actor: Actor) -> tuple[str, str]:
    """What the step did, in the active language (``execute_step`` runs it in the community's
    default language: the words are stored as the step's reason)."""
    config = sr.config or {}
    spaces = list(inc.spaces.order_by("pk"))
    if sr.kind == StepKind.START_COOLDOWN:
        return _step_cooldown(inc, sr, actor, spaces, config)
    if sr.kind == StepKind.POST_NOTICE:
        if not spaces:
            return StepStatus.SKIPPED, _("The incident has no space to post in.")
        template = str(config.get("text") or DEFAULT_NOTICE)
        posted = []
        for space in spaces:
            active = space.cooldowns.active().first()
            raw = fill(
                template,
                {
                    "facilitator": _facilitator_name(inc),
                    "runbook": sr.run.runbook.name,
                    "space": space.name,
                    "ends_at": f"{active.ends_at:%H:%M} UTC" if active else "later today",
                },
            )
            notice, created = Notice.objects.get_or_create(
                step_run=sr, space=space, defaults={"incident": inc, "raw": raw}
            )
            if created:
                record_domain_event(
                    community=inc.community,
                    type=DomainEventType.NOTICE_REQUESTED,
                    payload={
                        "notice_id": notice.pk,
                        "incident_id": inc.pk,
                        "space": space_payload(space),
                        "raw": notice.raw,
                    },
                )
            posted.append(space.name)
        return StepStatus.DONE, _("Notice requested in %(spaces)s.") % {"spaces": ", ".join(posted)}
    if sr.kind == StepKind.NOTIFY_PARTIES:
        return _step_notify(inc, sr, config)
    if sr.kind == StepKind.SCHEDULE_CHECK_IN:
        return _step_check_in(inc, sr, config)
    if sr.kind == StepKind.RECHECK_CALM:
        return _step_recheck(inc, sr, config)
    raise StepFailed(f"“{sr.kind}” is not an automated step.")


DEFAULT_NOTICE = (
    "**This conversation is cooling down.** {facilitator} is facilitating, following "
    "“{runbook}”. Posting in {space} is slowed until {ends_at}. Take a breath; nobody is in "
    "trouble for having strong feelings. Moderators will check in."
)
DEFAULT_PARTY_MESSAGE = (
    "Hello {name}, a conversation you took part in is cooling down for a while. Nobody is being "
    "judged and this costs you nothing. {facilitator} is facilitating and will check in with you."
)


def _step_cooldown(
    inc: Incident, sr: StepRun, actor: Actor, spaces: list[Space], config: dict[str, Any]
) -> tuple[str, str]:
    if not spaces:
        return StepStatus.SKIPPED, _("The incident has no space to cool down.")
    minutes = int(config.get("duration_minutes") or 120)
    mode = str(config.get("mode") or CooldownMode.SLOW_MODE)
    seconds = int(config.get("slow_mode_seconds") or 0) or None
    if mode == CooldownMode.SLOW_MODE and seconds is None:
        seconds = 120
    started = []
    for space in spaces:
        active = space.cooldowns.active().first()
        if active is not None:
            if active.incident_id == inc.pk:
                started.append(_("%(space)s (already cooling down)") % {"space": space.name})
                continue
            raise StepFailed(
                _("%(space)s already has a cooldown from elsewhere.") % {"space": space.name}
            )
        try:
            start_cooldown(
                community=inc.community,
                space=space,
                mode=mode,
                slow_mode_seconds=seconds,
                ends_at=timezone.now() + timedelta(minutes=minutes),
                actor=actor,
                incident=inc,
                step_run=sr,
            )
        except ServiceError as exc:
            raise StepFailed(str(exc)) from None
        started.append(space.name)
    inc.refresh_from_db()
    how = CooldownMode(mode).label if mode in CooldownMode.values else mode.replace("_", " ")
    return StepStatus.DONE, _("%(mode)s for %(minutes)s min on %(spaces)s.") % {
        "mode": how,
        "minutes": minutes,
        "spaces": ", ".join(started),
    }


def _step_notify(inc: Incident, sr: StepRun, config: dict[str, Any]) -> tuple[str, str]:
    parties = list(inc.parties.select_related("user"))
    if not parties:
        return StepStatus.SKIPPED, _("No parties are named on this incident.")
    template = str(config.get("text") or DEFAULT_PARTY_MESSAGE)
    # Parties an earlier attempt of this step reached before the mail server failed: an e-mail
    # cannot be taken back, so a retry writes only to those not reached yet.
    reached: set[int] = set()
    for data in inc.timeline.filter(data__step=sr.pk, data__has_key="sent_to").values_list(
        "data", flat=True
    ):
        reached.update(int(pk) for pk in data["sent_to"])
    sent = without = 0
    for party in parties:
        email = party.user.email if party.user is not None else ""
        if not email:
            without += 1
            continue
        if party.pk in reached:
            sent += 1
            continue
        body = fill(template, {"name": party.display_name, "facilitator": _facilitator_name(inc)})
        # Inside a rehearsal's sandbox the e-mail says plainly that it is a rehearsal.
        subject, body = marked(inc.community_id, "a conversation is cooling down", body)
        try:
            send_mail(
                subject=f"{inc.community.name}: {subject}",
                message=body,
                from_email=None,
                recipient_list=[email],
            )
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientStepError(f"mail server: {exc}", sent_to=tuple(sorted(reached))) from exc
        reached.add(party.pk)
        sent += 1
    text = ngettext(
        "Sent privately to %(count)s party.", "Sent privately to %(count)s parties.", sent
    ) % {"count": sent}
    if without:
        text += " " + _("%(count)s without a login or email: reach them on the forum.") % {
            "count": without
        }
    return StepStatus.DONE, text


def _step_recheck(inc: Incident, sr: StepRun, config: dict[str, Any]) -> tuple[str, str]:
    cooldowns = list(inc.cooldowns.active().select_related("space"))
    if not cooldowns:
        return StepStatus.DONE, _("No active cooldown left to lift.")
    verdicts = {
        cd.pk: space_calm(
            space=cd.space,
            target=str(config.get("target") or "0.98"),
            threshold=str(config.get("threshold") or "1"),
            long_minutes=int(config.get("long_minutes") or 60),
            short_minutes=int(config.get("short_minutes") or 5),
        )
        for cd in cooldowns
    }
    if all(v.calm for v in verdicts.values()):
        spoke = _person_spoke_since(inc, cooldowns)
        if spoke:
            names = ", ".join(cd.space.name for cd in cooldowns)
            return StepStatus.PROPOSED, _(
                "The space reads calm, but %(spoke)s after the cooldown began, so the runbook "
                "does not lift it by itself: %(facilitator)s decides whether to lift the "
                "cooldown on %(spaces)s now or keep it cooling until it ends."
            ) % {"spoke": spoke, "facilitator": _facilitator_name(inc), "spaces": names}
        actor = Actor.system(f"Runbook: {sr.run.runbook.name}")
        for cd in cooldowns:
            _end_cooldown(
                cd.pk, CooldownEndReason.CALM, actor, inc, note=calm_words(verdicts[cd.pk])
            )
        return StepStatus.DONE, _("Calm: %(spaces)s") % {
            "spaces": "; ".join(
                f"{cd.space.name} {calm_words(verdicts[cd.pk])}" for cd in cooldowns
            )
        }
    every = int(config.get("every_minutes") or 15)
    sr.due_at = timezone.now() + timedelta(minutes=every)
    worst = next(v for v in verdicts.values() if not v.calm)
    return StepStatus.WAITING, _("%(calm)s; re-checking in %(minutes)s min.") % {
        "calm": calm_words(worst),
        "minutes": every,
    }


def _check_in_entry(inc: Incident, sr: StepRun) -> bool:
    """The check-in reminder on the timeline, once per step (whichever path writes it)."""
    try:
        with transaction.atomic():
            _entry(
                inc,
                TimelineKind.CHECK_IN,
                lambda: (
                    _("Check-in due: %(facilitator)s, how are the parties and the space?")
                    % {"facilitator": _facilitator_name(inc)}
                ),
                Actor.system("reminder"),
                dedupe_key=f"check-in:{sr.pk}",
            )
    except IntegrityError:
        return False
    return True


def _step_check_in(inc: Incident, sr: StepRun, config: dict[str, Any]) -> tuple[str, str]:
    """First run: set the time and wait for it. When the time comes (or a person says "check
    in now"), the reminder goes on the timeline and the runbook moves on."""
    if sr.due_at is None:
        minutes = int(config.get("after_minutes") or 60)
        sr.due_at = timezone.now() + timedelta(minutes=minutes)
        return StepStatus.WAITING, _(
            "Check-in due at %(time)s UTC; the runbook waits until then."
        ) % {"time": f"{sr.due_at:%H:%M}"}
    _check_in_entry(inc, sr)
    return StepStatus.DONE, _("Check-in time: the facilitator was reminded.")


def _person_spoke_since(inc: Incident, cooldowns: list[Cooldown]) -> str:
    """What a person said after a cooldown began (a member's report on its space or on the
    incident, or a moderator's note), in words; empty when nobody did."""
    for cd in cooldowns:
        report = (
            IncidentReport.objects.filter(
                Q(incident=inc) | Q(space=cd.space),
                source=ReportSource.MEMBER,
                created_at__gt=cd.starts_at,
            )
            .exclude(status=ReportStatus.DISMISSED)
            .order_by("-created_at")
            .first()
        )
        if report is not None:
            return _("a member reported %(space)s at %(time)s UTC") % {
                "space": cd.space.name,
                "time": f"{report.created_at:%H:%M}",
            }
        note = (
            inc.timeline.filter(kind=TimelineKind.NOTE, author__isnull=False, at__gt=cd.starts_at)
            .order_by("-at")
            .first()
        )
        if note is not None:
            return _("%(name)s added a note at %(time)s UTC") % {
                "name": note.by,
                "time": f"{note.at:%H:%M}",
            }
    return ""


def decide_lift(inc: Incident, sr: StepRun, *, accept: bool, actor: Actor) -> str:
    """Inside a transaction holding the incident's and the step's locks: the facilitator's
    answer to a proposed lift. Returns the step's reason."""
    facilitator = _active_role(inc, RoleKind.FACILITATOR)
    if facilitator is not None and actor.user is not None:
        deciders = {
            r.membership.user_id
            for r in inc.roles.active()
            .filter(kind__in=[RoleKind.FACILITATOR, RoleKind.DEPUTY])
            .select_related("membership")
        }
        if actor.user.pk not in deciders:
            raise ServiceError(
                _(
                    "%(display_name)s is facilitating and decides this; ask them, or take over "
                    "the role first."
                )
                % {"display_name": facilitator.membership.display_name}
            )
    active = list(inc.cooldowns.active().select_related("space"))
    if not accept:

        def kept() -> str:
            if not active:
                return _("%(name)s kept it cooling.") % {"name": actor.name}
            return _("%(name)s kept it cooling: it ends on its own (%(ends)s).") % {
                "name": actor.name,
                "ends": ", ".join(
                    _("%(space)s at %(time)s UTC")
                    % {"space": cd.space.name, "time": f"{cd.ends_at:%H:%M}"}
                    for cd in active
                ),
            }

        words = in_community_language(inc.community, kept)
        _entry(
            inc,
            TimelineKind.PROPOSAL,
            lambda: _("Lift declined. %(words)s") % {"words": words},
            actor,
            data={"step": sr.pk},
        )
        return words
    for cd in active:
        _end_cooldown(
            cd.pk,
            CooldownEndReason.LIFTED,
            actor,
            inc,
            note=in_community_language(
                inc.community,
                lambda: _("The runbook proposed it; %(name)s accepted.") % {"name": actor.name},
            ),
        )
    words = in_community_language(
        inc.community, lambda: _("%(name)s accepted the lift.") % {"name": actor.name}
    )
    _entry(
        inc,
        TimelineKind.PROPOSAL,
        lambda: _("Lift accepted. %(words)s") % {"words": words},
        actor,
        data={"step": sr.pk},
    )
    return words


def record_check_in_due(*, step_run_id: int) -> bool:
    """The ``incidents.check_in_due`` task (sent by earlier versions, which marked the step
    done at once): the reminder, unless the step already wrote it."""
    sr = StepRun.objects.select_related("run__incident").filter(pk=step_run_id).first()
    if sr is None or sr.due_at is None or not sr.run.incident.is_open:
        return False  # nothing to check in on once the incident is resolved
    return _check_in_entry(sr.run.incident, sr)
