"""Notices raised inside a rehearsal say plainly that it is a drill (in the app and by e-mail),
and none of it reaches the real community: its notices, budgets, clause SLIs, status page or
forum."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from budgets.models import MemberBudget, Notice
from community.domain_events import dispatch_pending
from community.hidden import marked
from community.models import ClauseSnapshot, Community, Notification, NotificationKind
from community.notifications import notify
from incidents.gamedays import services
from incidents.gamedays.hooks import NOTICE_BODY
from incidents.models import Incident
from integrations.models import ForumAction, WebhookDelivery
from tests.gamedays.helpers import burst, ready

pytestmark = pytest.mark.django_db


def _real_state(community: Community) -> tuple[Any, ...]:
    return (
        list(Notification.objects.filter(community=community).values_list("pk", "title")),
        list(Notice.objects.filter(community=community).values_list("pk", "title")),
        list(MemberBudget.objects.filter(community=community).values_list("pk", "remaining")),
        list(ClauseSnapshot.objects.filter(clause__community=community).values_list("pk", "sli")),
        ForumAction.objects.count(),
        WebhookDelivery.objects.count(),
    )


def test_notices_raised_in_a_rehearsal_say_it_is_a_drill_and_stay_there(
    community: Community, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    _, runbook = ready(community)
    real = _real_state(community)
    game_day = services.start_game_day(
        community=community, recording=burst(), runbook=runbook, speed=60, by=moderator
    )
    sandbox = game_day.sandbox
    assert sandbox is not None
    mail.outbox.clear()
    with (
        time_machine.travel(game_day.started_at + timedelta(seconds=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.feed_game_day(game_day_id=game_day.pk)
        dispatch_pending()
    assert Incident.objects.filter(community=sandbox).exists()
    # In the app: every notice to the moderators in the sandbox is marked.
    notices = list(Notification.objects.filter(community=sandbox))
    assert notices, "the rehearsal's alert and incident notify its moderators"
    for notice in notices:
        assert notice.title.startswith("Rehearsal: ")
        assert notice.body.startswith(str(NOTICE_BODY))
        assert "drill" in notice.body
    # By e-mail: the copy says so in its subject and its first words.
    rehearsal_mail = [m for m in mail.outbox if sandbox.name in m.subject]
    assert rehearsal_mail, "the moderator has an address and wants e-mail"
    for message in rehearsal_mail:
        assert "Rehearsal: " in message.subject
        assert message.body.startswith(str(NOTICE_BODY))
    # Budget notes raised in the sandbox are marked too (and reach no one with a login).
    for note in Notice.objects.filter(community=sandbox):
        assert note.title.startswith("Rehearsal: ") and str(NOTICE_BODY) in note.body
        assert note.membership.user_id is None
    # Nothing reached the real community, its forum or the outside.
    assert _real_state(community) == real
    assert not [m for m in mail.outbox if sandbox.name not in m.subject]
    client = Client()
    status = client.get(reverse("incidents:status", kwargs={"slug": community.slug}))
    assert status.status_code == 200
    assert "Rehearsal" not in status.content.decode()
    # The sandbox has no status page for the public (members only: not found).
    hidden = client.get(reverse("incidents:status", kwargs={"slug": sandbox.slug}))
    assert hidden.status_code == 404


def test_the_real_communitys_notices_are_not_marked(community: Community, moderator: User) -> None:
    membership = community.memberships.get(user=moderator)
    (notice,) = notify(
        community=community,
        recipients=[membership],
        kind=NotificationKind.POSTMORTEM_DUE,
        title="An incident was declared",
        body="Have a look.",
    )
    assert notice.title == "An incident was declared" and notice.body == "Have a look."
    assert marked(community.pk, "a conversation is cooling down", "Hello") == (
        "a conversation is cooling down",
        "Hello",
    )


def test_a_runbook_steps_email_from_a_rehearsal_is_marked(
    community: Community, moderator: User
) -> None:
    _, runbook = ready(community)
    game_day = services.start_game_day(
        community=community, recording=burst(), runbook=runbook, speed=60, by=moderator
    )
    assert game_day.sandbox is not None
    subject, body = marked(game_day.sandbox.pk, "a conversation is cooling down", "Hello Sam")
    assert subject == "Rehearsal: a conversation is cooling down"
    assert body == f"{NOTICE_BODY}\n\nHello Sam"
