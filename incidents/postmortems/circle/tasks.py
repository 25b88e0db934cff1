"""Thin Celery wrappers over the circle's services (their schedule is in settings)."""

from __future__ import annotations

from celery import shared_task

from incidents.postmortems.circle.services import publish_due_summaries, remind_agreements


@shared_task(name="circle.remind_agreements", ignore_result=True)
def remind_agreements_task() -> int:
    """Hourly: remind the owners of agreements that are due soon or overdue (once a day each)."""
    return remind_agreements()


@shared_task(name="circle.publish_due_summaries", ignore_result=True)
def publish_due_summaries_task() -> int:
    """Hourly: publish the public summaries that were approved or whose objection window passed."""
    return publish_due_summaries()
