"""Thin Celery wrappers over the operations services."""

from __future__ import annotations

from celery import shared_task

from operations.retention import purge_expired as purge


@shared_task(name="operations.purge_expired", ignore_result=True)
def purge_expired() -> dict[str, int]:
    """Hourly: the one retention purge (``operations.retention``)."""
    return purge()
