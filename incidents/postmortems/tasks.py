"""Celery tasks: thin wrappers over the services (registered by name; ``community.jobs``
enqueues by that name, and beat runs the sweeps)."""

from __future__ import annotations

from celery import shared_task

from incidents.postmortems import services


@shared_task(name="postmortems.send_due_reminders")
def send_due_reminders() -> int:
    return services.send_due_reminders()


@shared_task(name="postmortems.check_verifications")
def check_verifications() -> int:
    return services.check_all_verifications()


@shared_task(name="postmortems.ensure_postmortem")
def ensure_postmortem(incident_id: int) -> int | None:
    doc = services.ensure_postmortem_of(incident_id=incident_id)
    return doc.pk if doc is not None else None
