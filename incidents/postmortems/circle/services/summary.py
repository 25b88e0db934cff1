"""The public summary's way out (issue 12 item 7). The summary is its own section, written for
everyone, never the private fields. When it is proposed, every harmed member who takes part in
the circle reads it first: it is published once they all approve, or once the objection window
(7 days by default) has passed without an objection. Changing the words asks them again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from community.language import language_for_membership
from community.models import NotificationKind
from community.notifications import notify
from community.services import ServiceError
from incidents.postmortems import timeline
from incidents.postmortems.circle.services.participants import circle_link
from incidents.postmortems.models import (
    Participant,
    ParticipantRole,
    Postmortem,
    PostmortemSection,
    PostmortemSettings,
    PublicSummaryState,
    SummaryApproval,
    SummaryDecision,
    Visibility,
)
from incidents.postmortems.sections import PUBLIC_SECTION


def _day(when: datetime) -> str:
    return date_format(when, _("j F"))


def _section(postmortem: Postmortem) -> PostmortemSection | None:
    return PostmortemSection.objects.filter(postmortem=postmortem, key=PUBLIC_SECTION).first()


def _window(postmortem: Postmortem) -> timedelta:
    found = PostmortemSettings.objects.filter(community_id=postmortem.community_id).first()
    return timedelta(days=found.objection_window_days if found is not None else 7)


def current_approvals(postmortem: Postmortem) -> list[SummaryApproval]:
    """The harmed members' answers to the summary's current words."""
    section = _section(postmortem)
    if section is None:
        return []
    return list(
        SummaryApproval.objects.filter(postmortem=postmortem, section_version=section.version)
        .select_related("participant__membership")
        .order_by("pk")
    )


def propose_public_summary(*, postmortem: Postmortem, now: datetime | None = None) -> Postmortem:
    """Ask every harmed participant who accepted to read the summary's current words."""
    now = now or timezone.now()
    if postmortem.visibility != Visibility.PUBLIC:
        raise ServiceError(
            _("Set the postmortem's visibility to a public summary before proposing one.")
        )
    section = _section(postmortem)
    if section is None or not section.body.strip():
        raise ServiceError(_("Write the public summary before proposing it."))
    if postmortem.public_summary_state == PublicSummaryState.PUBLISHED:
        raise ServiceError(_("The public summary is already published."))
    harmed = list(
        postmortem.participants.accepted()
        .filter(role=ParticipantRole.HARMED)
        .select_related("membership")
    )
    with transaction.atomic():
        doc = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
        doc.public_summary_proposed_at = now
        if harmed:
            for participant in harmed:
                SummaryApproval.objects.get_or_create(
                    postmortem=doc, participant=participant, section_version=section.version
                )
            doc.public_summary_state = PublicSummaryState.AWAITING_APPROVAL
            doc.public_summary_window_ends_at = now + _window(doc)
            for participant in harmed:
                # Each harmed member reads it in their own language.
                with translation.override(language_for_membership(participant.membership)):
                    notify(
                        community=doc.community,
                        recipients=[participant.membership],
                        kind=NotificationKind.SUMMARY_APPROVAL,
                        title=_("A public summary waits for your approval"),
                        body=_(
                            "Before anything about the recent conflict is shared with everyone, "
                            "you read it first. Approve it, or tell us what to change; if we hear "
                            "nothing by %(day)s, it will be published."
                        )
                        % {"day": _day(doc.public_summary_window_ends_at)},
                        link=circle_link(doc),
                        key=f"summary-approval:{doc.pk}:{section.version}",
                    )
        else:
            doc.public_summary_state = PublicSummaryState.APPROVED
            doc.public_summary_window_ends_at = None
        doc.save(
            update_fields=[
                "public_summary_state",
                "public_summary_proposed_at",
                "public_summary_window_ends_at",
            ]
        )
    return doc


def _state_after_answers(approvals: list[SummaryApproval]) -> str:
    if any(a.decision == SummaryDecision.OBJECTED for a in approvals):
        return PublicSummaryState.OBJECTED
    if approvals and all(a.decision == SummaryDecision.APPROVED for a in approvals):
        return PublicSummaryState.APPROVED
    return PublicSummaryState.AWAITING_APPROVAL


def answer_summary(
    *, postmortem: Postmortem, participant: Participant, approve: bool, note: str = ""
) -> SummaryApproval:
    """A harmed participant approves the summary's current words, or objects to them. Once
    every answer is an approval (and the postmortem is published) the summary goes out."""
    with transaction.atomic():
        doc = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
        if doc.public_summary_state == PublicSummaryState.PUBLISHED:
            raise ServiceError(_("The public summary is already published."))
        mine = [a for a in current_approvals(doc) if a.participant_id == participant.pk]
        if not mine:
            raise ServiceError(_("There is no summary waiting for your answer."))
        approval = mine[0]
        approval.decision = SummaryDecision.APPROVED if approve else SummaryDecision.OBJECTED
        approval.note = note.strip()[:2000]
        approval.decided_at = timezone.now()
        approval.save(update_fields=["decision", "note", "decided_at"])
        doc.public_summary_state = _state_after_answers(current_approvals(doc))
        doc.save(update_fields=["public_summary_state"])
        if doc.public_summary_state == PublicSummaryState.APPROVED and not doc.is_published:
            timeline.summary_approved(doc, version=approval.section_version)
        if publish_refusal(doc) is None:
            _publish(doc)
    return approval


def publish_refusal(postmortem: Postmortem, now: datetime | None = None) -> str | None:
    """Why the public summary cannot go out now (None: it can)."""
    now = now or timezone.now()
    state = postmortem.public_summary_state
    if state == PublicSummaryState.PUBLISHED:
        return _("The public summary is already published.")
    if postmortem.visibility != Visibility.PUBLIC:
        return _("The postmortem's visibility is not a public summary.")
    if not postmortem.is_published:
        return _("The public summary goes out once the postmortem itself is published.")
    if state == PublicSummaryState.NOT_PROPOSED:
        return _("Propose the summary to the harmed members first.")
    section = _section(postmortem)
    if section is None or not section.body.strip():
        return _("The public summary is empty.")
    approvals = current_approvals(postmortem)
    if not approvals and SummaryApproval.objects.filter(postmortem=postmortem).exists():
        return _("The summary changed since the harmed members read it; propose it again.")
    objected = [a for a in approvals if a.decision == SummaryDecision.OBJECTED]
    if objected:
        names = ", ".join(a.participant.membership.display_name for a in objected)
        return f"{names} objected; change the summary with them and propose it again."
    waiting = [a for a in approvals if a.decision == SummaryDecision.PENDING]
    window_ends = postmortem.public_summary_window_ends_at
    if waiting and (window_ends is None or now < window_ends):
        names = ", ".join(a.participant.membership.display_name for a in waiting)
        until = (
            f" (or until {_day(window_ends)} passes without an objection)" if window_ends else ""
        )
        return f"Waiting for {names} to read it{until}."
    return None


def _how(doc: Postmortem) -> timeline.SummaryHow:
    """Why the summary may go out now, for the incident's timeline."""
    approvals = current_approvals(doc)
    if not approvals:
        return "no_harmed"
    if all(a.decision == SummaryDecision.APPROVED for a in approvals):
        return "approved"
    return "window_passed"


def _publish(doc: Postmortem, by: User | None = None) -> None:
    timeline.summary_published(doc, how=_how(doc), by=by)
    doc.public_summary_state = PublicSummaryState.PUBLISHED
    doc.public_summary_published_at = timezone.now()
    doc.save(update_fields=["public_summary_state", "public_summary_published_at"])


def publish_public_summary(
    *, postmortem: Postmortem, by: User | None, now: datetime | None = None
) -> Postmortem:
    """A moderator publishes the approved summary (refused, with the reason, when it is not)."""
    with transaction.atomic():
        doc = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
        refusal = publish_refusal(doc, now)
        if refusal:
            raise ServiceError(refusal)
        _publish(doc, by)
    return doc


def publish_due_summaries(*, now: datetime | None = None) -> int:
    """The sweep: publish each summary whose harmed members approved it, or whose objection
    window passed without an objection, once its postmortem is published."""
    now = now or timezone.now()
    published = 0
    candidates = Postmortem.objects.filter(
        visibility=Visibility.PUBLIC,
        public_summary_state__in=(
            PublicSummaryState.AWAITING_APPROVAL,
            PublicSummaryState.APPROVED,
        ),
    ).order_by("pk")
    for doc in candidates:
        with transaction.atomic():
            locked = Postmortem.objects.select_for_update().get(pk=doc.pk)
            if publish_refusal(locked, now) is None:
                _publish(locked)
                published += 1
    return published
