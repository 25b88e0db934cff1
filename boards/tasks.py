"""Thin Celery wrappers over the boards' services (``recalc`` queue, config/queues.py)."""

from __future__ import annotations

from celery import shared_task

from boards import services


@shared_task(name="boards.compute_fairness", ignore_result=True)
def compute_fairness(community_id: int, window_days: int) -> None:
    """Count one community's fairness figures for one window and store them."""
    services.count_fairness(community_id=community_id, window_days=window_days)


@shared_task(name="boards.compute_all_fairness", ignore_result=True)
def compute_all_fairness() -> int:
    """Beat, hourly: every community's fairness figures for the default window."""
    return services.count_fairness_everywhere()
