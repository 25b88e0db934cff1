"""Postmortems due: the drafts an incident that requires one gets on its own, and reminders
that repeat until the postmortem is published — to the facilitator, then to every moderator."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from community.jobs import enqueue_after_commit
from community.language import language_for_membership
from community.models import DomainEvent, DomainEventType, Membership, NotificationKind
from community.notifications import notify
from incidents.models import Incident, IncidentRole, IncidentStatus, RoleKind
from incidents.postmortems import rules
from incidents.postmortems.models import Postmortem, PostmortemState
from incidents.postmortems.services.document import ensure_postmortem, settings_for


def on_incident_resolved(event: DomainEvent) -> None:
    """Subscriber for ``incident.updated``: when an incident that requires a postmortem
    resolves, its draft is made soon after (the periodic sweep catches any missed).

    The draft is made by a task of its own, after the outbox's transaction: the outbox holds
    its rows (and their communities) locked while it hands them over, and a draft written
    inside it would wait on a moderator starting the same postmortem, who waits on it."""
    if event.type != DomainEventType.INCIDENT_UPDATED:
        return
    changes = (event.payload or {}).get("changes") or {}
    status = changes.get("status")
    if not isinstance(status, list) or len(status) != 2 or status[1] != IncidentStatus.RESOLVED:
        return
    incident_id = (event.payload or {}).get("incident_id")
    if not isinstance(incident_id, int):
        return
    if Incident.objects.filter(pk=incident_id, postmortem_required=True).exists():
        enqueue_after_commit("postmortems.ensure_postmortem", incident_id)


def ensure_postmortem_of(*, incident_id: int) -> Postmortem | None:
    incident = Incident.objects.filter(pk=incident_id).first()
    return ensure_postmortem(incident=incident) if incident is not None else None


def ensure_due_drafts() -> int:
    """A draft for every resolved incident that requires a postmortem and has none."""
    made = 0
    missing = Incident.objects.filter(
        postmortem_required=True,
        status__in=(IncidentStatus.RESOLVED, IncidentStatus.CLOSED),
        postmortem__isnull=True,
    ).order_by("pk")
    for incident in missing[:200]:
        if ensure_postmortem(incident=incident) is not None:
            made += 1
    return made


def facilitator_of(incident: Incident) -> Membership | None:
    """Who facilitated: the active facilitator, else the last one."""
    role = (
        IncidentRole.objects.filter(incident=incident, kind=RoleKind.FACILITATOR)
        .select_related("membership")
        .order_by("ended_at", "-assigned_at")
        .first()
    )
    return role.membership if role is not None else None


def _moderators(postmortem: Postmortem) -> list[Membership]:
    return list(Membership.objects.filter(community=postmortem.community).moderators())


def remind(*, postmortem: Postmortem, now: datetime | None = None) -> list[Membership]:
    """Send the reminder that is due (if one is) and schedule the next. Returns who was told."""
    now = now or timezone.now()
    with transaction.atomic():
        doc = (
            Postmortem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("incident", "community")
            .filter(pk=postmortem.pk)
            .first()
        )
        if doc is None or doc.state == PostmortemState.PUBLISHED:
            return []
        if doc.next_reminder_at is None or doc.next_reminder_at > now:
            return []
        settings = settings_for(doc.community)
        facilitator = facilitator_of(doc.incident)
        audience = rules.reminder_audience(
            now=now,
            due_at=doc.due_at,
            escalate_after_hours=settings.escalate_after_hours,
            has_facilitator=facilitator is not None,
        )
        recipients = (
            [facilitator]
            if audience == rules.Audience.FACILITATOR and facilitator is not None
            else _moderators(doc)
        )
        for recipient in recipients:
            # Each reminder in its reader's language.
            with translation.override(language_for_membership(recipient)):
                if now < doc.due_at:
                    when = _("It is due in %(age)s.") % {"age": timesince(now, doc.due_at, depth=1)}
                else:
                    when = _("It was due %(age)s ago.") % {
                        "age": timesince(doc.due_at, now, depth=1)
                    }
                notify(
                    community=doc.community,
                    recipients=[recipient],
                    kind=NotificationKind.POSTMORTEM_DUE,
                    title=_("The postmortem of “%(title)s” is not published yet")
                    % {"title": doc.incident.title},
                    body=_(
                        "%(when)s Finish the sections, add a guardrail action item and publish it."
                    )
                    % {"when": when},
                    link=reverse("postmortems:editor", args=[doc.community.slug, doc.pk]),
                    key=f"postmortem-due:{doc.pk}:{doc.reminders_sent + 1}",
                )
        doc.reminders_sent += 1
        doc.last_reminded_at = now
        doc.next_reminder_at = rules.next_reminder_at(
            sent_at=now, every_hours=settings.reminder_every_hours
        )
        doc.save(update_fields=["reminders_sent", "last_reminded_at", "next_reminder_at"])
    return recipients


def send_due_reminders(*, now: datetime | None = None) -> int:
    """Every reminder that is due (the periodic task). Returns how many postmortems were
    brought up."""
    now = now or timezone.now()
    ensure_due_drafts()
    sent = 0
    due = (
        Postmortem.objects.unpublished()
        .filter(next_reminder_at__lte=now)
        .order_by("next_reminder_at")[:500]
    )
    for doc in due:
        if remind(postmortem=doc, now=now):
            sent += 1
    return sent
