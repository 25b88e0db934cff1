"""The public summary: written apart from the private sections, read first by every harmed
member who takes part; published after they approve it, or after the objection window passes
without an objection; an objection or a change of words holds it back."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from community.models import Community, Membership, Notification, NotificationKind
from community.services import ServiceError
from incidents.models import TimelineEntry, TimelineKind
from incidents.postmortems import services as postmortem_services
from incidents.postmortems.circle import services
from incidents.postmortems.models import Postmortem, PublicSummaryState, Visibility
from tests.circle.conftest import published
from tests.circle.helpers import Circle
from tests.conftest import api_client_for
from tests.postmortems.helpers import section, write

pytestmark = pytest.mark.django_db

SUMMARY = "A trade in Seed swap turned sharp. The rules now say how to settle a disputed trade."


def _public(ring: Circle) -> Postmortem:
    doc = postmortem_services.set_visibility(
        postmortem=ring.postmortem, visibility=Visibility.PUBLIC, expected_version=None, by=None
    )
    write(doc, "public_summary", SUMMARY)
    return doc


def _summary_entries(doc: Postmortem) -> list[str]:
    rows = TimelineEntry.objects.filter(incident=doc.incident, kind=TimelineKind.PM_SUMMARY)
    return [e.text for e in rows.order_by("pk")]


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
    assert _summary_entries(doc) == [
        "The public summary was published: the harmed members in the circle approved it."
    ]


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
    assert services.publish_due_summaries() == 0
    approved, out = _summary_entries(doc)
    assert approved.startswith("The harmed members in the circle approved the public summary")
    assert out == "The public summary was published: the harmed members in the circle approved it."
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
    assert _summary_entries(doc) == [
        "The public summary was published: the objection window passed without an objection."
    ]


def test_an_objection_after_publication_is_met_with_new_words_read_again_and_shown(
    ring: Circle, community: Community, moderator: User, sue: Membership
) -> None:
    """The document is published and locked; the public summary alone stays open until it goes
    out, so a harmed member's objection raised after publication can be met."""
    doc = published(_public(ring), community, ring.responsible.membership)
    services.propose_public_summary(postmortem=doc)
    services.answer_summary(
        postmortem=doc, participant=ring.harmed, approve=False, note="Leave out the plot number"
    )
    assert _state(doc) == PublicSummaryState.OBJECTED
    # The rest of the document keeps its words; nothing changes.
    lessons = section(doc, "lessons")
    with pytest.raises(ServiceError, match="Only the public summary stays open"):
        write(doc, "lessons", "Changed afterwards.")
    assert section(doc, "lessons").version == lessons.version
    # The moderator revises the summary in the editor (it is the one open section).
    client = Client()
    client.force_login(moderator)
    editor = f"/c/garden/postmortems/{doc.pk}/"
    page = client.get(editor).content.decode()
    assert 'id="section-public_summary-body"' in page and 'data-testid="summary-open"' in page
    assert 'id="section-lessons-body"' not in page
    revised = SUMMARY.replace("Seed swap", "a trading space")
    saved = client.post(
        f"{editor}sections/public_summary/",
        {"body": revised, "version": section(doc, "public_summary").version},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200 and "Saved." in saved.content.decode()
    # The old approval does not cover the new words: nothing goes out until she reads them.
    with pytest.raises(ServiceError, match="changed since the harmed members read it"):
        services.publish_public_summary(postmortem=doc, by=moderator)
    services.propose_public_summary(postmortem=doc)
    assert _state(doc) == PublicSummaryState.AWAITING_APPROVAL
    asked = Notification.objects.filter(
        kind=NotificationKind.SUMMARY_APPROVAL, recipient=ring.harmed.membership
    )
    assert asked.count() == 2
    her = Client()
    her.force_login(ring.harmed.membership.user)
    circle_page = her.get(f"/c/garden/postmortems/{doc.pk}/circle/").content.decode()
    assert "a trading space" in circle_page and "Approve the summary" in circle_page
    services.answer_summary(postmortem=doc, participant=ring.harmed, approve=True)
    assert _state(doc) == PublicSummaryState.PUBLISHED
    # Everyone who sees the community now reads the revised summary, and only it.
    reader = Client()
    reader.force_login(sue.user)
    shown = reader.get(editor).content.decode()
    assert "a trading space" in shown and "Seed swap" not in shown
    # Published, the summary's words stop changing too.
    with pytest.raises(ServiceError, match="public summary is published"):
        write(doc, "public_summary", "Something else.")


def test_the_api_says_which_sections_stay_open_and_refuses_the_others_after_publication(
    ring: Circle, community: Community
) -> None:
    doc = published(_public(ring), community, ring.responsible.membership)
    api = api_client_for(community, "read", "moderate")
    body = api.get(f"/api/v1/postmortems/{doc.pk}/").json()
    open_keys = [s["key"] for s in body["sections"] if s["editable"]]
    assert open_keys == ["public_summary"]
    path = f"/api/v1/postmortems/{doc.pk}/sections/"
    refused = api.put(
        f"{path}lessons/", {"body": "x", "version": section(doc, "lessons").version}, format="json"
    )
    assert refused.status_code == 400 and "no longer change" in refused.json()["detail"]
    ok = api.put(
        f"{path}public_summary/",
        {"body": SUMMARY + " Revised.", "version": section(doc, "public_summary").version},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["editable"] is True
