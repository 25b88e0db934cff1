"""What the postmortem and its circle write on the incident's timeline: started, sent for
review, published, the public summary out, an action item verified or reopened, an agreement
kept or not kept. Typed entries (``TimelineKind.PM_*``) written through incidents' own service
(``record_followup``); incidents never imports this package.

The entries are read by whoever reads the incident, so they say what happened without the
circle's private words: no harm, no need, no agreement text, no member's name. They are written
once, in the community's default language when they are written (the community's own words in
them, an action item's or a clause's title, stay as they were written).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from django.contrib.auth.models import User
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from community.language import in_community_language
from community.words import percent
from incidents.models import TimelineKind
from incidents.postmortems.models import ActionItem, Postmortem
from incidents.services import Actor, record_followup

SummaryHow = Literal["no_harmed", "approved", "window_passed"]
ReopenedWhy = Literal["by_hand", "left_contract", "fell_below"]


def _when(at: datetime) -> str:
    # Translators: a day and time on the incident's timeline (Django date format).
    return formats.date_format(timezone.localtime(at), _("j F, H:i"))


def _in(doc: Postmortem, words: Callable[[], object]) -> str:
    return in_community_language(doc.community, words)


def _actor(doc: Postmortem, by: User | None) -> Actor:
    if by is not None and by.is_authenticated:
        return Actor.person(by)
    return Actor.system(_in(doc, lambda: _("the postmortem")))


def started(doc: Postmortem, by: User | None) -> None:
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_STARTED,
        text=_in(
            doc,
            lambda: (
                _("The postmortem was started; it is due %(when)s.") % {"when": _when(doc.due_at)}
            ),
        ),
        actor=_actor(doc, by),
        data={"postmortem": doc.pk},
        dedupe_key=f"pm:{doc.pk}:started",
    )


def sent_for_review(doc: Postmortem, by: User | None) -> None:
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_REVIEW,
        text=_in(doc, lambda: _("The postmortem was sent for review.")),
        actor=_actor(doc, by),
        data={"postmortem": doc.pk},
    )


def published(doc: Postmortem, by: User | None) -> None:
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_PUBLISHED,
        text=_in(
            doc,
            lambda: _(
                "The postmortem was published; its guardrails are followed up as action items."
            ),
        ),
        actor=_actor(doc, by),
        data={"postmortem": doc.pk},
        dedupe_key=f"pm:{doc.pk}:published",
    )


def _summary_published_words(how: SummaryHow) -> str:
    if how == "no_harmed":
        return _("The public summary was published: no harmed member takes part in the circle.")
    if how == "approved":
        return _("The public summary was published: the harmed members in the circle approved it.")
    return _("The public summary was published: the objection window passed without an objection.")


def summary_published(doc: Postmortem, *, how: SummaryHow, by: User | None = None) -> None:
    """``how`` says why it could go out (approved, or the objection window passed)."""
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_SUMMARY,
        text=_in(doc, lambda: _summary_published_words(how)),
        actor=_actor(doc, by),
        data={"postmortem": doc.pk},
        dedupe_key=f"pm:{doc.pk}:summary",
    )


def summary_approved(doc: Postmortem, *, version: int) -> None:
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_SUMMARY,
        text=_in(
            doc,
            lambda: _(
                "The harmed members in the circle approved the public summary; it goes out once "
                "the postmortem is published."
            ),
        ),
        actor=_actor(doc, None),
        data={"postmortem": doc.pk, "version": version},
        dedupe_key=f"pm:{doc.pk}:summary-approved:{version}",
    )


def item_verified(item: ActionItem) -> None:
    clause = item.verify_clause
    record_followup(
        incident=item.postmortem.incident,
        kind=TimelineKind.PM_ITEM,
        text=_in(
            item.postmortem,
            lambda: (
                _(
                    "Action item “%(item)s” verified: “%(clause)s” met its %(target)s target "
                    "over the whole window."
                )
                % {
                    "item": item.title,
                    "clause": clause.title if clause else "",
                    "target": percent(item.verify_target, 1),
                }
            ),
        ),
        actor=_actor(item.postmortem, None),
        data={"action_item": item.pk, "status": "verified"},
    )


def _reopened_words(item: ActionItem, why: ReopenedWhy) -> str:
    title = item.verify_clause.title if item.verify_clause else ""
    if why == "left_contract":
        words = _(
            "Action item “%(item)s” reopened: “%(clause)s” left the contract while it was "
            "verifying."
        )
    elif why == "fell_below":
        words = _(
            "Action item “%(item)s” reopened: “%(clause)s” fell below its target while it was "
            "verifying."
        )
    else:
        words = _("Action item “%(item)s” reopened: reopened by hand after it was marked done.")
    return words % {"item": item.title, "clause": title}


def item_reopened(item: ActionItem, *, by: User | None, why: ReopenedWhy) -> None:
    record_followup(
        incident=item.postmortem.incident,
        kind=TimelineKind.PM_ITEM,
        text=_in(item.postmortem, lambda: _reopened_words(item, why)),
        actor=_actor(item.postmortem, by),
        data={"action_item": item.pk, "status": "reopened"},
    )


def agreement_decided(doc: Postmortem, *, kept: bool, by: User | None) -> None:
    record_followup(
        incident=doc.incident,
        kind=TimelineKind.PM_AGREEMENT,
        text=_in(
            doc,
            lambda: (
                _("An agreement made in the restorative circle was kept.")
                if kept
                else _(
                    "An agreement made in the restorative circle was not kept; it can be talked "
                    "over in the circle."
                )
            ),
        ),
        actor=_actor(doc, by),
        data={"postmortem": doc.pk, "kept": kept},
    )
