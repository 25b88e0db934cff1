"""Retention: what is kept how long, and the one periodic purge (``operations.purge_expired``).

Each rule deletes (or, for raw Discourse deliveries, empties) rows older than its setting in
``settings.RETENTION_DAYS`` (from the ``RETENTION_*_DAYS`` environment variables), a batch at a
time, each batch in its own short transaction, walking the primary key upwards: a purge never
holds many locks or a long transaction, and a purge killed half-way just resumes next time.

Never purged: the ledger (charges, forgiveness and appeals are append-only), conduct events,
incident timelines, budgets and their transitions, and anything still in flight (a delivery
waiting to be processed or set aside, an outbound call still to be attempted).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from budgets.models import FanOutRun, RecalcRun
from community.models import ClauseSnapshot, DomainEvent
from integrations.models import (
    DeliveryStatus,
    ForumAction,
    ForumActionAttempt,
    InboundDelivery,
    WebhookAttempt,
    WebhookDelivery,
)

logger = logging.getLogger(__name__)

# Deliveries that are done with: processed, or stored with nothing to do.
FINISHED_DELIVERIES = (DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED)


@dataclass(frozen=True)
class Rule:
    name: str
    setting: str  # key of settings.RETENTION_DAYS
    rows: Callable[[datetime], models.QuerySet[Any]]
    # Fields to blank instead of deleting the row.
    blank: dict[str, Any] | None = None


def _raw_deliveries(cutoff: datetime) -> models.QuerySet[InboundDelivery]:
    return InboundDelivery.objects.filter(
        status__in=FINISHED_DELIVERIES, received_at__lt=cutoff
    ).exclude(body="")


def _delivery_keys(cutoff: datetime) -> models.QuerySet[InboundDelivery]:
    return InboundDelivery.objects.filter(status__in=FINISHED_DELIVERIES, received_at__lt=cutoff)


def _forum_attempts(cutoff: datetime) -> models.QuerySet[ForumActionAttempt]:
    return ForumActionAttempt.objects.filter(at__lt=cutoff).exclude(
        forum_action__status__in=ForumAction.open_statuses()
    )


def _webhook_attempts(cutoff: datetime) -> models.QuerySet[WebhookAttempt]:
    return WebhookAttempt.objects.filter(at__lt=cutoff).exclude(
        delivery__status__in=WebhookDelivery.open_statuses()
    )


def _space_snapshots(cutoff: datetime) -> models.QuerySet[ClauseSnapshot]:
    # Per-space rows: only the latest is ever read (the charts draw the community-wide rows).
    return ClauseSnapshot.objects.exclude(scope="").filter(bucket__lt=cutoff)


def _community_snapshots(cutoff: datetime) -> models.QuerySet[ClauseSnapshot]:
    return ClauseSnapshot.objects.filter(scope="", bucket__lt=cutoff)


def _domain_events(cutoff: datetime) -> models.QuerySet[DomainEvent]:
    return DomainEvent.objects.filter(dispatched_at__lt=cutoff)


def _recalc_runs(cutoff: datetime) -> models.QuerySet[RecalcRun]:
    return RecalcRun.objects.filter(started_at__lt=cutoff)


def _fan_out_runs(cutoff: datetime) -> models.QuerySet[FanOutRun]:
    # Only runs that finished (their chunks go with them); a run still in flight is kept.
    return FanOutRun.objects.filter(finished_at__lt=cutoff)


# In order: a delivery's body goes before its row (and its dedupe keys) do.
RULES: tuple[Rule, ...] = (
    Rule(
        "raw Discourse delivery bodies",
        "raw_delivery",
        _raw_deliveries,
        {"body": "", "headers": {}},
    ),
    Rule("Discourse deliveries (dedupe keys)", "delivery_dedupe", _delivery_keys),
    Rule("forum action attempts", "outbound_attempt", _forum_attempts),
    Rule("webhook attempts", "outbound_attempt", _webhook_attempts),
    Rule("per-space clause snapshots", "space_snapshot", _space_snapshots),
    Rule("clause snapshots", "clause_snapshot", _community_snapshots),
    Rule("dispatched domain events", "domain_event", _domain_events),
    Rule("budget recalculation runs", "recalc_run", _recalc_runs),
    Rule("fanned-out recalculation runs", "recalc_run", _fan_out_runs),
)


def _in_batches(rule: Rule, rows: models.QuerySet[Any], batch_size: int) -> int:
    model = rows.model
    done, last = 0, None
    while True:
        page = rows.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        ids = list(page.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return done
        with transaction.atomic():
            batch = model._default_manager.filter(pk__in=ids)
            if rule.blank is not None:
                done += batch.update(**rule.blank)
            else:
                _, per_model = batch.delete()
                done += per_model.get(model._meta.label, 0)
        last = ids[-1]


def purge_expired(*, now: datetime | None = None, batch_size: int | None = None) -> dict[str, int]:
    """Apply every retention rule once. Returns how many rows each rule purged."""
    now = now or timezone.now()
    batch_size = batch_size or settings.RETENTION_PURGE_BATCH_SIZE
    purged = {}
    for rule in RULES:
        cutoff = now - timedelta(days=settings.RETENTION_DAYS[rule.setting])
        purged[rule.name] = _in_batches(rule, rule.rows(cutoff), batch_size)
    if any(purged.values()):
        logger.info("retention purge", extra={"purged": purged})
    return purged
