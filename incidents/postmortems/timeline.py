"""What the postmortem and its circle write on the incident's timeline: started, sent for
review, published, the public summary out, an action item verified or reopened, an agreement
kept or not kept. Typed entries (``TimelineKind.PM_*``) written through incidents' own service
(``record_followup``); incidents never imports this package.

The entries are read by whoever reads the incident, so they say what happened without the
circle's private words: no harm, no need, no agreement text, no member's name.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.utils import timezone

from community.words import percent
from incidents.models import TimelineKind
from incidents.postmortems.models import ActionItem, Postmortem
from incidents.services import Actor, record_followup

SYSTEM = "the postmortem"


def _when(at: datetime) -> str:
    local = timezone.localtime(at)
    return f"{local.day} {local:%B}, {local:%H:%M}"


def _actor(by: User | None) -> Actor:
    if by is not None and by.is_authenticated:
        return Actor.person(by)
    return Actor.system(SYSTEM)


def started(doc: Postmortem, by: User | None) -> None:
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_STARTED,
        text=f"The postmortem was started; it is due {_when(doc.due_at)}.",
        actor=_actor(by),
        data={"postmortem": doc.pk},
        dedupe_key=f"pm:{doc.pk}:started",
    )


def sent_for_review(doc: Postmortem, by: User | None) -> None:
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_REVIEW,
        text="The postmortem was sent for review.",
        actor=_actor(by),
        data={"postmortem": doc.pk},
    )


def published(doc: Postmortem, by: User | None) -> None:
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_PUBLISHED,
        text="The postmortem was published; its guardrails are followed up as action items.",
        actor=_actor(by),
        data={"postmortem": doc.pk},
        dedupe_key=f"pm:{doc.pk}:published",
    )


def summary_published(doc: Postmortem, *, how: str, by: User | None = None) -> None:
    """``how`` says why it could go out (approved, or the objection window passed)."""
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_SUMMARY,
        text=f"The public summary was published: {how}.",
        actor=_actor(by),
        data={"postmortem": doc.pk},
        dedupe_key=f"pm:{doc.pk}:summary",
    )


def summary_approved(doc: Postmortem, *, version: int) -> None:
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_SUMMARY,
        text=(
            "The harmed members in the circle approved the public summary; it goes out once "
            "the postmortem is published."
        ),
        actor=_actor(None),
        data={"postmortem": doc.pk, "version": version},
        dedupe_key=f"pm:{doc.pk}:summary-approved:{version}",
    )


def item_verified(item: ActionItem) -> None:
    clause = item.verify_clause
    record_followup(
        incident=item.postmortem.incident,
        kind=TimelineKind.PM_ITEM,
        text=(
            f"Action item “{item.title}” verified: “{clause.title if clause else ''}” met its "
            f"{percent(item.verify_target, 1)} target over the whole window."
        ),
        actor=_actor(None),
        data={"action_item": item.pk, "status": "verified"},
    )


def item_reopened(item: ActionItem, *, by: User | None, why: str) -> None:
    record_followup(
        incident=item.postmortem.incident,
        kind=TimelineKind.PM_ITEM,
        text=f"Action item “{item.title}” reopened: {why}",
        actor=_actor(by),
        data={"action_item": item.pk, "status": "reopened"},
    )


def agreement_decided(doc: Postmortem, *, kept: bool, by: User | None) -> None:
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_AGREEMENT,
        text=(
            "An agreement made in the restorative circle was kept."
            if kept
            else "An agreement made in the restorative circle was not kept; it can be talked "
            "over in the circle."
        ),
        actor=_actor(by),
        data={"postmortem": doc.pk, "kept": kept},
    )
