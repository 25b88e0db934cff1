"""Authoring runbooks: the community writes its templates in advance. Runs copy the steps when
they start, so editing a runbook never rewrites what happened on an incident."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from community.models import Community, SpaceKind
from community.services import ServiceError
from incidents.models import CooldownMode, Runbook, RunbookStep, SevLevel, StepKind
from incidents.notice_templates import NOTICE_PLACEHOLDERS, PARTY_PLACEHOLDERS, template_problem
from incidents.services.common import MAX_SLOW_MODE_SECONDS, settings_for
from incidents.words import template_problem_words


def create_runbook(
    *, community: Community, name: str, description: str, by: User | None
) -> Runbook:
    name = name.strip()
    if not name:
        raise ServiceError(_("Give the runbook a name."))
    if Runbook.objects.filter(community=community, name=name).exists():
        raise ServiceError(_("A runbook called “%(name)s” already exists.") % {"name": name})
    return Runbook.objects.create(
        community=community, name=name, description=description.strip(), created_by=by
    )


def add_runbook_step(
    *,
    runbook: Runbook,
    title: str,
    kind: str,
    config: dict[str, Any],
    only_severities: Sequence[str] = (),
    only_space_kinds: Sequence[str] = (),
) -> RunbookStep:
    """Append a step. ``config`` is checked against the step kind (see RunbookStep)."""
    title = title.strip()
    if not title:
        raise ServiceError(_("Give the step a title that says what it does."))
    if kind not in StepKind.values:
        raise ServiceError(_("Unknown step kind “%(kind)s”.") % {"kind": kind})
    bad_sev = sorted(set(only_severities) - set(SevLevel.values))
    bad_kinds = sorted(set(only_space_kinds) - set(SpaceKind.values))
    if bad_sev or bad_kinds:
        raise ServiceError(
            _("Unknown condition: %(conditions)s.") % {"conditions": ", ".join(bad_sev + bad_kinds)}
        )
    clean = _check_config(runbook.community, kind, config)
    with transaction.atomic():
        Runbook.objects.select_for_update().filter(pk=runbook.pk).first()
        last = runbook.steps.aggregate(last=Max("position"))["last"] or 0
        return RunbookStep.objects.create(
            runbook=runbook,
            position=last + 1,
            title=title,
            kind=kind,
            config=clean,
            only_severities=sorted(set(only_severities)),
            only_space_kinds=sorted(set(only_space_kinds)),
        )


def _positive(config: dict[str, Any], key: str, default: int) -> int:
    value = config.get(key)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ServiceError(
            _("%(setting)s must be a whole number.") % {"setting": key.replace("_", " ")}
        ) from None
    if number <= 0:
        raise ServiceError(
            _("%(setting)s must be more than zero.") % {"setting": key.replace("_", " ")}
        )
    return number


def _check_config(community: Community, kind: str, config: dict[str, Any]) -> dict[str, Any]:
    if kind == StepKind.START_COOLDOWN:
        minutes = _positive(config, "duration_minutes", 120)
        limit = settings_for(community).max_cooldown_minutes
        if minutes > limit:
            raise ServiceError(
                _("A cooldown may last at most %(limit)s minutes here.") % {"limit": limit}
            )
        mode = str(config.get("mode") or CooldownMode.SLOW_MODE)
        if mode not in CooldownMode.values:
            raise ServiceError(_("Choose slow mode or read-only."))
        clean: dict[str, Any] = {"duration_minutes": minutes, "mode": mode}
        if mode == CooldownMode.SLOW_MODE:
            seconds = _positive(config, "slow_mode_seconds", 120)
            if seconds > MAX_SLOW_MODE_SECONDS:
                raise ServiceError(
                    _("Slow mode may be at most %(MAX_SLOW_MODE_SECONDS)s seconds.")
                    % {"MAX_SLOW_MODE_SECONDS": MAX_SLOW_MODE_SECONDS}
                )
            clean["slow_mode_seconds"] = seconds
        return clean
    if kind in (StepKind.POST_NOTICE, StepKind.NOTIFY_PARTIES):
        text = str(config.get("text") or "").strip()
        allowed = NOTICE_PLACEHOLDERS if kind == StepKind.POST_NOTICE else PARTY_PLACEHOLDERS
        problem = template_problem(text, allowed)
        if problem:
            raise ServiceError(template_problem_words(problem))
        return {"text": text} if text else {}
    if kind == StepKind.SCHEDULE_CHECK_IN:
        return {"after_minutes": _positive(config, "after_minutes", 60)}
    if kind == StepKind.RECHECK_CALM:
        return {
            "target": "0.98",
            "threshold": "1",
            "long_minutes": 60,
            "short_minutes": 5,
            "every_minutes": _positive(config, "every_minutes", 15),
        }
    return {}


def remove_runbook_step(*, step: RunbookStep) -> None:
    step.delete()


def set_runbook_active(*, runbook: Runbook, active: bool) -> Runbook:
    runbook.is_active = active
    runbook.save(update_fields=["is_active"])
    return runbook
