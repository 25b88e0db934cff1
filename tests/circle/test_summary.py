"""The public summary: written apart from the private sections, read first by every harmed
member who takes part; published after they approve it, or after the objection window passes
without an objection; an objection or a change of words holds it back."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from community.models import Community, Notification, NotificationKind
from community.services import ServiceError
from incidents.postmortems import services as postmortem_services
from incidents.postmortems.circle import services
from incidents.postmortems.models import Postmortem, PublicSummaryState, Visibility
from tests.circle.conftest import published
from tests.circle.helpers import Circle
from tests.postmortems.helpers import write

pytestmark = pytest.mark.django_db

SUMMARY = "A trade in Seed swap turned sharp. The rules now say how to settle a disputed trade."


def _public(ring: Circle) -> Postmortem:
    doc = postmortem_services.set_visibility(
        postmortem=ring.postmortem, visibility=Visibility.PUBLIC, expected_version=None, by=None
    )
    write(doc, "public_summary", SUMMARY)
    return doc


def _state(doc: Postmortem) -> str:
    doc.refresh_from_db()
    return doc.public_summary_state


def test_a_summary_is_proposed_only_for_a_public_postmortem_with_words(ring: Circle) -> None:
    with pytest.raises(ServiceError, match="visibility to a public summary"):
        services.propose_public_summary(postmortem=ring.postmortem)
    doc = postmortem_services.set_visibility(
        postmortem=ring.postmortem, visibility=Visibility.PUBLIC, expected_version=None, by=None
    )
    with pytest.raises(ServiceError, match="Write the public summary"):
        services.propose_public_summary(postmortem=doc)
    assert _state(doc) == PublicSummaryState.NOT_PROPOSED


def test_the_harmed_member_s_approval_publishes_it_once_the_postmortem_is(
    ring: Circle, community: Community, moderator: User
) -> None:
    doc = services.propose_public_summary(postmortem=_public(ring))
    assert doc.public_summary_state == PublicSummaryState.AWAITING_APPROVAL
    note = Notification.objects.get(kind=NotificationKind.SUMMARY_APPROVAL)
    assert note.recipient_id == ring.harmed.membership_id
    with pytest.raises(ServiceError, match="once the postmortem itself is published"):
        services.publish_public_summary(postmortem=doc, by=moderator)
    doc = published(doc, community, ring.responsible.membership)
    with pytest.raises(ServiceError, match="Waiting for milo_member"):
        services.publish_public_summary(postmortem=doc, by=moderator)
    with pytest.raises(ServiceError, match="no summary waiting for your answer"):
        services.answer_summary(postmortem=doc, participant=ring.responsible, approve=True)
    services.answer_summary(postmortem=doc, participant=ring.harmed, approve=True)
    assert _state(doc) == PublicSummaryState.PUBLISHED
    assert doc.public_summary_published_at is not None


def test_an_objection_holds_it_back_until_the_words_change_and_are_read_again(
    ring: Circle, community: Community, moderator: User
) -> None:
    doc = services.propose_public_summary(postmortem=_public(ring))
    services.answer_summary(
        postmortem=doc, participant=ring.harmed, approve=False, note="Leave out the plot number"
    )
    assert _state(doc) == PublicSummaryState.OBJECTED
    doc = published(doc, community, ring.responsible.membership)
    with pytest.raises(ServiceError, match="milo_member objected"):
        services.publish_public_summary(postmortem=doc, by=moderator)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert services.publish_due_summaries() == 0
    assert _state(doc) == PublicSummaryState.OBJECTED


def test_changed_words_are_read_again_before_they_go_out(
    ring: Circle, community: Community, moderator: User
) -> None:
    doc = services.propose_public_summary(postmortem=_public(ring))
    services.answer_summary(postmortem=doc, participant=ring.harmed, approve=False)
    write(doc, "public_summary", SUMMARY + " Thank you to everyone who took part.")
    doc = published(doc, community, ring.responsible.membership)
    with pytest.raises(ServiceError, match="changed since the harmed members read it"):
        services.publish_public_summary(postmortem=doc, by=moderator)
    services.propose_public_summary(postmortem=doc)
    assert _state(doc) == PublicSummaryState.AWAITING_APPROVAL
    services.answer_summary(postmortem=doc, participant=ring.harmed, approve=True)
    assert _state(doc) == PublicSummaryState.PUBLISHED


def test_approved_before_the_postmortem_is_published_it_goes_out_with_the_sweep(
    ring: Circle, community: Community
) -> None:
    doc = services.propose_public_summary(postmortem=_public(ring))
    services.answer_summary(postmortem=doc, participant=ring.harmed, approve=True)
    assert _state(doc) == PublicSummaryState.APPROVED
    assert services.publish_due_summaries() == 0
    published(doc, community, ring.responsible.membership)
    assert services.publish_due_summaries() == 1
    assert _state(doc) == PublicSummaryState.PUBLISHED


def test_without_an_objection_the_window_publishes_it_after_seven_days(
    ring: Circle, community: Community
) -> None:
    doc = published(_public(ring), community, ring.responsible.membership)
    services.propose_public_summary(postmortem=doc)
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert services.publish_due_summaries() == 0
    assert _state(doc) == PublicSummaryState.AWAITING_APPROVAL
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        assert services.publish_due_summaries() == 1
    assert _state(doc) == PublicSummaryState.PUBLISHED
