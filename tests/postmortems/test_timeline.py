"""The postmortem on the incident's timeline: started, sent for review, published, and the
action items verified or reopened, as typed entries in words (never the circle's private
words), written once each."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from community.models import Clause, ContractVersion, Membership
from community.services import ServiceError
from incidents import services as incident_services
from incidents.models import Incident, TimelineEntry, TimelineKind
from incidents.postmortems import services
from incidents.postmortems.models import ActionStatus
from tests.postmortems.helpers import guardrail_item, in_review

pytestmark = pytest.mark.django_db

FOLLOWUPS = (
    TimelineKind.PM_STARTED,
    TimelineKind.PM_REVIEW,
    TimelineKind.PM_PUBLISHED,
    TimelineKind.PM_ITEM,
)


def _followups(incident: Incident) -> list[tuple[str, str]]:
    rows = TimelineEntry.objects.filter(incident=incident, kind__in=FOLLOWUPS).order_by("pk")
    return [(e.kind, e.by) for e in rows]


def test_the_postmortem_s_steps_are_typed_entries_on_the_incident_s_timeline(
    incident: Incident,
    moderator: User,
    mod_membership: Membership,
    clause: Clause,
    version: ContractVersion,
) -> None:
    doc = services.start_postmortem(incident=incident, by=moderator)
    doc = in_review(doc, mod_membership, clause, version)
    services.publish_postmortem(postmortem=doc, expected_version=None, by=moderator)
    assert _followups(incident) == [
        (TimelineKind.PM_STARTED, moderator.get_username()),
        (TimelineKind.PM_REVIEW, "the postmortem"),
        (TimelineKind.PM_PUBLISHED, moderator.get_username()),
    ]
    client = Client()
    client.force_login(moderator)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Postmortem started" in page and "The postmortem was started; it is due" in page
    assert "Postmortem sent for review" in page and "Postmortem published" in page
    assert ">pm_published" not in page and ">pm_started" not in page  # kinds only as CSS classes


def test_an_item_reopened_by_hand_is_on_the_timeline_and_a_refusal_writes_nothing(
    incident: Incident, moderator: User, mod_membership: Membership, clause: Clause
) -> None:
    doc = services.start_postmortem(incident=incident, by=moderator)
    item = services.add_action_item(
        postmortem=doc,
        fields=services.ItemFields(
            title="Write down who answers the forum's questions at night",
            kind="process",
            owner=mod_membership,
            due_on=incident.declared_at.date(),
            verification_criterion="The rota is on the moderators' page.",
        ),
        by=moderator,
    )
    with pytest.raises(ServiceError):
        services.reopen_by_hand(item=item, expected_version=None, by=moderator)
    assert _followups(incident) == [(TimelineKind.PM_STARTED, moderator.get_username())]
    done = services.mark_done(item=item, expected_version=None, by=moderator)
    assert done.status == ActionStatus.DONE
    services.reopen_by_hand(item=done, expected_version=None, by=moderator)
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.PM_ITEM)
    assert entry.text == (
        "Action item “Write down who answers the forum's questions at night” reopened: "
        "reopened by hand after it was marked done."
    )


def test_the_timeline_takes_only_follow_up_kinds_from_outside_and_each_once(
    incident: Incident, moderator: User, mod_membership: Membership, clause: Clause
) -> None:
    actor = incident_services.Actor.person(moderator)
    with pytest.raises(ServiceError, match="not a follow-up"):
        incident_services.record_followup(
            incident=incident, kind=TimelineKind.STATUS, text="Closed.", actor=actor
        )
    doc = services.start_postmortem(incident=incident, by=moderator)
    guardrail_item(doc, owner=mod_membership, clause=clause, version=None)
    # Started once, whatever calls it again.
    again = incident_services.record_followup(
        incident=incident,
        kind=TimelineKind.PM_STARTED,
        text="The postmortem was started.",
        actor=actor,
        dedupe_key=f"pm:{doc.pk}:started",
    )
    assert again is None
    assert TimelineEntry.objects.filter(kind=TimelineKind.PM_STARTED).count() == 1
