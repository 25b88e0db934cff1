"""Thin Celery wrappers over the contract's services. The names keep the ``community.`` prefix
they were registered under before the contract became a package: the beat schedule in
``config/settings.py`` and any message already queued refer to them by name."""

from __future__ import annotations

from celery import shared_task

from community.contract.scheduling import evaluate_all, run_requested_evaluation


@shared_task(name="community.evaluate_clauses", ignore_result=True)
def evaluate_clauses() -> int:
    """Every minute: refresh every live clause's status and alerts."""
    return evaluate_all()


@shared_task(name="community.evaluate_community_clauses", ignore_result=True)
def evaluate_community_clauses(community_id: int) -> int:
    """After ingest (coalesced: at most one pending per community)."""
    return run_requested_evaluation(community_id=community_id)
