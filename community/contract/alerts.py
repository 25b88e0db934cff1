"""Burn-rate alerts of clauses: one episode per clause, scope and rule, fired once and cleared
once, each announced as a domain event; moderators are emailed when one fires."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from community import words
from community.contract.counting import ScopeResult, empty_counts, judge, scope_of, selectors
from community.contract.hooks import alert_window_rows
from community.contract.slo import SIX_PLACES, AlertDecision, ClauseDefinition
from community.contract.text import exact
from community.domain_events import record_domain_event, space_payload
from community.hidden import marked
from community.models import (
    Clause,
    ClauseAlert,
    ConductEvent,
    DomainEventType,
    Membership,
    Space,
)

logger = logging.getLogger(__name__)

MAX_ALERT_EVENT_IDS = 200


def update_alerts(
    *,
    clause: Clause,
    definition: ClauseDefinition,
    results: list[ScopeResult],
    now: datetime,
    by_space: Mapping[int | None, ClauseDefinition] | None = None,
) -> tuple[list[ClauseAlert], list[ClauseAlert]]:
    """Fire the alerts the judged ``results`` call for and clear the ones they no longer do.
    ``by_space`` names the definition a space was judged with when it is not ``definition``
    (a trial space): its alert lists the events that definition calls bad. Returns (fired,
    cleared)."""
    by_space = by_space or {}
    open_alerts = {(a.scope, a.rule): a for a in clause.alerts.open().select_related("space")}
    judged = {scope_of(r.space_id) for r in results}
    # A space with an open alert but no events left in any window is calm: judge it at zero.
    empty = empty_counts(definition)
    for scope, _ in list(open_alerts):
        if scope not in judged:
            results.append(judge(definition, int(scope) if scope else None, empty))
            judged.add(scope)
    spaces = {
        s.pk: s for s in Space.objects.filter(pk__in=[r.space_id for r in results if r.space_id])
    }
    fired: list[ClauseAlert] = []
    cleared: list[ClauseAlert] = []
    for result in results:
        scope = scope_of(result.space_id)
        space = spaces.get(result.space_id) if result.space_id else None
        for decision in result.decisions:
            current = open_alerts.get((scope, decision.rule.name))
            if decision.firing and current is None:
                judged_with = by_space.get(result.space_id, definition)
                alert = _fire(clause, judged_with, space, scope, decision, now)
                if alert is not None:
                    fired.append(alert)
            elif not decision.firing and current is not None:
                cleared.append(_clear(clause, current, now))
    return fired, cleared


def _fire(
    clause: Clause,
    definition: ClauseDefinition,
    space: Space | None,
    scope: str,
    decision: AlertDecision,
    now: datetime,
) -> ClauseAlert | None:
    rule = decision.rule
    _, bad_q = selectors(clause.community_id, definition, now)
    since = now - timedelta(minutes=rule.long_minutes)
    events = ConductEvent.objects.filter(
        bad_q,
        alert_window_rows(clause.community_id, since),
        community_id=clause.community_id,
        recorded_at__gt=since,
        recorded_at__lte=now,
    )
    if space is not None:
        events = events.filter(space=space)
    elif definition.spaces:
        events = events.filter(space_id__in=definition.spaces)
    event_ids = list(
        events.order_by("recorded_at", "pk").values_list("pk", flat=True)[:MAX_ALERT_EVENT_IDS]
    )
    try:
        with transaction.atomic():
            alert = ClauseAlert.objects.create(
                clause=clause,
                space=space,
                scope=scope,
                rule=rule.name,
                severity=rule.severity.value,
                long_minutes=rule.long_minutes,
                short_minutes=rule.short_minutes,
                threshold=decision.threshold.quantize(SIX_PLACES),
                burn_rate_long=decision.burn_rate_long.quantize(SIX_PLACES),
                burn_rate_short=decision.burn_rate_short.quantize(SIX_PLACES),
                bad_long=decision.bad_long,
                total_long=decision.total_long,
                event_ids=event_ids,
                fired_at=now,
            )
    except IntegrityError:
        # Another evaluation opened this episode a moment ago: it fires once, not twice.
        return None
    record_domain_event(
        community=clause.community,
        type=DomainEventType.CLAUSE_ALERT_FIRED,
        payload={
            "alert_id": alert.pk,
            "clause_id": clause.pk,
            "clause_title": definition.title,
            "space": space_payload(space),
            "rule": rule.name,
            "long_window_hours": exact(Decimal(rule.long_minutes) / 60),
            "short_window_hours": exact(Decimal(rule.short_minutes) / 60),
            "burn_rate_long": exact(decision.burn_rate_long),
            "burn_rate_short": exact(decision.burn_rate_short),
            "threshold": exact(decision.threshold),
            "bad_long": decision.bad_long,
            "total_long": decision.total_long,
            "event_ids": event_ids,
            "fired_at": now.isoformat(),
        },
    )
    _notify_moderators(clause, alert, definition)
    return alert


def _clear(clause: Clause, alert: ClauseAlert, now: datetime) -> ClauseAlert:
    alert.cleared_at = now
    alert.save(update_fields=["cleared_at"])
    record_domain_event(
        community=clause.community,
        type=DomainEventType.CLAUSE_ALERT_CLEARED,
        payload={
            "alert_id": alert.pk,
            "clause_id": clause.pk,
            "space": space_payload(alert.space),
            "rule": alert.rule,
            "cleared_at": now.isoformat(),
        },
    )
    return alert


def clear_alerts(*, clause: Clause, now: datetime | None = None) -> list[ClauseAlert]:
    """Close every open episode of a clause (it left the contract), announcing each once."""
    now = now or timezone.now()
    return [_clear(clause, alert, now) for alert in clause.alerts.open().select_related("space")]


def _notify_moderators(clause: Clause, alert: ClauseAlert, definition: ClauseDefinition) -> None:
    """Email every moderator who has an address, after the alert commits."""
    community = clause.community
    addresses = sorted(
        {
            email
            for email in Membership.objects.filter(community=community)
            .moderators()
            .exclude(user__isnull=True)
            .values_list("user__email", flat=True)
            if email
        }
    )
    if not addresses:
        return
    where = f"in {alert.space.name}" if alert.space else "across the community"
    headline = f"“{definition.title}” is burning its budget fast ({words.alert_rule(alert.rule)})"
    summary = words.clause_alert_summary(alert, definition.window_days)
    body = (
        f"The clause “{definition.title}” {where} is using its error budget faster than the "
        f"contract allows.\n\n"
        f"{summary[0].upper()}{summary[1:]}\n\n"
        f"This is a signal to look, not a verdict on anyone. The contract page shows the "
        f"clause and what the community committed to doing at each tier:\n"
        f"{settings.SITE_URL}/c/{community.slug}/contract/\n"
    )
    # Inside a rehearsal's sandbox the e-mail says plainly that it is a rehearsal.
    headline, body = marked(community.pk, headline, body)
    subject = f"[{community.name}] {headline}"
    messages = [(subject, body, None, [address]) for address in addresses]

    def send() -> None:
        try:
            send_mass_mail(messages, fail_silently=False)
        except Exception:
            logger.exception("could not email moderators about alert %s", alert.pk)

    # Mail, not a task: sent by this process once the alert is committed (never for an alert
    # that was rolled back), and a mail server failure must not undo the evaluation.
    transaction.on_commit(send)
