"""Removing old sandboxes: a game day that ended ``GAMEDAY_SANDBOX_RETENTION_DAYS`` ago loses
its sandbox (the hidden copy of the community and every row the rehearsal wrote there); the game
day itself and its frozen report are kept.

A sandbox's rows all belong to it: it has no keys, no forum connection and no webhook
subscriptions, and the real community's rows never point into it. Some of its rows are held by
protected references inside it (a runbook run holds its runbook; a circle's agreement its
owner), which the cascade from the community row does not untangle, so the rows holding them
go first, in the same transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from community.models import Community
from incidents.gamedays.models import GameDay

logger = logging.getLogger(__name__)

# Each round removes one layer of protected references; a sandbox needs two or three.
MAX_ROUNDS = 10


def _delete_holding_first(rows: models.QuerySet[Any]) -> None:
    for _ in range(MAX_ROUNDS):
        try:
            with transaction.atomic():
                rows.delete()
            return
        except ProtectedError as error:
            holders: dict[type[models.Model], set[Any]] = defaultdict(set)
            for obj in error.protected_objects:
                holders[type(obj)].add(obj.pk)
            for model, pks in holders.items():
                _delete_holding_first(model._default_manager.filter(pk__in=pks))
    rows.delete()


def retention_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.GAMEDAY_SANDBOX_RETENTION_DAYS)


def purge_sandboxes(*, now: datetime | None = None) -> int:
    """Remove the sandbox of every game day that ended before the retention cutoff; how many
    were removed. A running game day keeps its sandbox whatever its age."""
    at = now or timezone.now()
    due = list(
        GameDay.objects.ended()
        .filter(sandbox__isnull=False, ended_at__lt=retention_cutoff(at))
        .values_list("pk", flat=True)
    )
    for pk in due:
        with transaction.atomic():
            game_day = GameDay.objects.select_for_update().filter(pk=pk).first()
            if game_day is None or game_day.sandbox_id is None or game_day.is_running:
                continue
            sandbox_id = game_day.sandbox_id
            # Keep the report as it stood; the row itself stays (its link is nulled).
            GameDay.objects.filter(pk=pk).update(sandbox=None, sandbox_purged_at=at)
            _delete_holding_first(Community.objects.filter(pk=sandbox_id))
        logger.info("game day %s: sandbox removed after the retention period", pk)
    return len(due)
