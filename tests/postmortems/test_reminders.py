"""Postmortems due: drafts made when an incident that requires one resolves, reminders that
repeat (to the facilitator, then to every moderator) until it is published, and Needs you."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.contrib.auth.models import User

from community.domain_events import dispatch_pending
from community.models import (
    Clause,
    Community,
    ContractVersion,
    Membership,
    Notification,
    NotificationKind,
    Role,
    Space,
)
from community.services import set_role
from incidents.models import Incident
from incidents.needs_you import needs_you, needs_you_count
from incidents.postmortems import services
from incidents.postmortems.models import Postmortem
from tests.conftest import make_user
from tests.postmortems.helpers import guardrail_item, resolved_incident, written_up


def _due_notices() -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(kind=NotificationKind.POSTMORTEM_DUE)
        .order_by("created_at", "recipient__display_name")
        .values_list("recipient__user__username", "key")
    )


def test_reminders_repeat_to_the_facilitator_then_to_every_moderator_until_published(
    community: Community,
    space: Space,
    moderator: User,
    mod_membership: Membership,
    clause: Clause,
    version: ContractVersion,
) -> None:
    second = make_user("sam_second")
    set_role(community=community, user=second, role=Role.MODERATOR)
    incident = resolved_incident(
        community=community, space=space, moderator=moderator, facilitator=mod_membership
    )
    doc = services.start_postmortem(incident=incident, by=moderator)
    due = doc.due_at
    assert services.send_due_reminders(now=due - timedelta(hours=25)) == 0
    assert services.send_due_reminders(now=due - timedelta(hours=24)) == 1  # a day before
    assert services.send_due_reminders(now=due - timedelta(hours=23)) == 0  # not twice
    assert services.send_due_reminders(now=due) == 1  # due: still the facilitator
    assert services.send_due_reminders(now=due + timedelta(hours=24)) == 1  # escalated
    pk = doc.pk
    assert _due_notices() == [
        ("maya_mod", f"postmortem-due:{pk}:1:{mod_membership.pk}"),
        ("maya_mod", f"postmortem-due:{pk}:2:{mod_membership.pk}"),
        ("maya_mod", f"postmortem-due:{pk}:3:{mod_membership.pk}"),
        ("sam_second", f"postmortem-due:{pk}:3:{Membership.objects.get(user=second).pk}"),
    ]
    notice = Notification.objects.filter(kind=NotificationKind.POSTMORTEM_DUE).latest("pk")
    assert "It was due 1\xa0day ago." in notice.body
    # Published: the reminders stop.
    written_up(doc)
    guardrail_item(doc, owner=mod_membership, clause=clause, version=version)
    services.request_review(postmortem=doc, expected_version=None, by=None)
    services.publish_postmortem(postmortem=doc, expected_version=None, by=None)
    assert services.send_due_reminders(now=due + timedelta(days=5)) == 0
    assert len(_due_notices()) == 4


def test_without_a_facilitator_every_moderator_is_reminded(
    doc: Postmortem, mod_membership: Membership
) -> None:
    services.send_due_reminders(now=doc.due_at)
    assert [r for r, _ in _due_notices()] == ["maya_mod"]
    assert Postmortem.objects.get(pk=doc.pk).reminders_sent == 1


def test_the_resolved_subscriber_makes_the_draft_of_an_incident_that_requires_one(
    community: Community, space: Space, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    incident = resolved_incident(community=community, space=space, moderator=moderator)
    # Resolving recorded "incident.updated" (status → resolved); hand it to the subscribers,
    # whose task makes the draft after the outbox's transaction.
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_pending()
    assert Postmortem.objects.filter(incident=incident).count() == 1
    assert services.ensure_postmortem_of(incident_id=incident.pk) == Postmortem.objects.get()


def test_needs_you_lists_postmortems_due_within_a_day(
    community: Community, doc: Postmortem, incident: Incident
) -> None:
    with time_machine.travel(doc.due_at - timedelta(hours=30), tick=False):
        assert [i.kind for i in needs_you(community).items] == []
        assert needs_you_count(community) == 0
    with time_machine.travel(doc.due_at + timedelta(hours=3), tick=False):
        (item,) = [i for i in needs_you(community).items if i.kind == "postmortem"]
        assert item.title == f"The postmortem of “{incident.title}” is due"
        assert item.detail == "It was due 3\xa0hours ago. Draft."
        assert item.url == f"/c/garden/postmortems/{doc.pk}/"
        assert needs_you_count(community) == 1
