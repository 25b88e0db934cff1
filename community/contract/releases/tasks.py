"""Thin Celery wrappers over the releases services."""

from __future__ import annotations

from celery import shared_task

from community.contract.releases.canary import check_canary, check_running_canaries


@shared_task(name="releases.check_canaries", ignore_result=True)
def check_canaries() -> int:
    """Every minute (beat): check every running trial's gate."""
    return check_running_canaries()


@shared_task(name="releases.check_canary", ignore_result=True)
def check_one_canary(canary_id: int) -> str:
    """One trial, at once (queued when a trial starts)."""
    return check_canary(canary_id=canary_id)
