"""A system check that the retention settings keep what the pages read."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from community.contract.services import HISTORY_DAYS


@register()
def retention_keeps_what_is_read(**_: Any) -> list[CheckMessage]:
    days = settings.RETENTION_DAYS
    errors: list[CheckMessage] = []
    if days["clause_snapshot"] < HISTORY_DAYS:
        errors.append(
            Error(
                f"RETENTION_CLAUSE_SNAPSHOT_DAYS is {days['clause_snapshot']}, but the contract's "
                f"charts draw the last {HISTORY_DAYS} days.",
                id="operations.E001",
            )
        )
    if days["delivery_dedupe"] < days["raw_delivery"]:
        errors.append(
            Error(
                "RETENTION_DELIVERY_DEDUPE_DAYS must be at least RETENTION_RAW_DELIVERY_DAYS: a "
                "delivery's dedupe keys must outlive its body.",
                id="operations.E002",
            )
        )
    return errors
