"""Thin Celery wrappers over the releases services."""

from __future__ import annotations

from celery import shared_task

from community.contract.releases.canary import check_running_canaries, run_requested_check


@shared_task(name="releases.check_canaries", ignore_result=True)
def check_canaries() -> int:
    """Every minute (beat): check every running trial's gate."""
    return check_running_canaries()


@shared_task(name="releases.check_canary", ignore_result=True)
def check_one_canary(canary_id: int) -> str:
    """One trial, at once (queued, coalesced, after ingest in its community)."""
    return run_requested_check(canary_id=canary_id)
