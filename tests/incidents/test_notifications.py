"""In-app notifications: who is told what, the centre and its unread count, e-mail according to
preferences, notices that are always shown, and every delivery recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from budgets import services as budget_services
from budgets.models import Appeal
from community.models import (
    Community,
    Membership,
    Notification,
    NotificationDelivery,
    NotificationKind,
)
from community.notifications import Choice, save_preferences
from community.services import ServiceError, set_role
from incidents import services
from incidents.models import Incident
from tests.conftest import PASSWORD, make_user


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def warn(community: Community, membership: Membership, capture: Any, times: int = 2) -> None:
    """Moderate warnings; the second moves a new member's budget to warning."""
    for _ in range(times):
        with capture(execute=True):
            budget_services.create_charge(
                community=community,
                membership=membership,
                kind="moderator_warning",
                severity="moderate",
                reason="Sharp words",
                occurred_at=timezone.now(),
                by=None,
            )


def outcomes(notification: Notification) -> list[tuple[str, str]]:
    return list(notification.deliveries.values_list("channel", "outcome"))


def test_a_tier_change_is_told_kindly_in_the_app_and_emailed_once_with_deliveries_recorded(
    community: Community,
    member_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    warn(community, member_membership, django_capture_on_commit_callbacks)
    notification = Notification.objects.get(recipient=member_membership)
    assert notification.kind == NotificationKind.TIER_CHANGED
    assert notification.title == "A quiet note: your budget has less room for now"
    assert "you can appeal it" in notification.body
    assert notification.link == "/c/garden/my-budget/"
    assert len(mail.outbox) == 1  # the nudge's e-mail is the notification's e-mail copy
    assert outcomes(notification) == [("in_app", "shown"), ("email", "sent")]


def test_email_turned_off_still_shows_a_budget_notice_in_the_app(
    community: Community,
    member_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    save_preferences(
        membership=member_membership,
        choices={NotificationKind.TIER_CHANGED: Choice(in_app=True, email=False)},
    )
    warn(community, member_membership, django_capture_on_commit_callbacks)
    notification = Notification.objects.get(recipient=member_membership)
    assert notification.in_app
    assert mail.outbox == []
    assert outcomes(notification) == [("in_app", "shown"), ("email", "skipped")]


def test_a_notice_about_ones_own_budget_cannot_be_turned_off_in_the_app(
    community: Community, member: User, member_membership: Membership
) -> None:
    with pytest.raises(ServiceError, match="always shown in the app"):
        save_preferences(
            membership=member_membership,
            choices={NotificationKind.APPEAL_DECIDED: Choice(in_app=False, email=True)},
        )
    page = client_for(member).get("/c/garden/notifications/preferences/").content.decode()
    assert "always" in page and "appeal" in page
    assert 'name="in_app_appeal_decided"' not in page
    assert 'name="email_appeal_decided"' in page
    # Members are not offered the moderators' kinds.
    assert "appeal_to_decide" not in page


def test_the_preferences_page_saves_choices(
    community: Community, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(moderator)
    data = {f"email_{k}": "on" for k in NotificationKind.values}
    data.pop("email_appeal_to_decide")  # no e-mail, and not in the app either
    response = client.post("/c/garden/notifications/preferences/", data)
    assert response.status_code == 302
    mod = Membership.objects.get(user=moderator)
    member = Membership.objects.create(community=community, display_name="Rin")
    charge = budget_services.create_charge(
        community=community,
        membership=member,
        kind="moderator_warning",
        severity="minor",
        reason="Off topic",
        occurred_at=timezone.now(),
        by=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        budget_services.file_appeal(charge=charge, membership=member, statement="It was on topic")
    notification = Notification.objects.get(recipient=mod, kind="appeal_to_decide")
    assert not notification.in_app
    assert outcomes(notification) == [("in_app", "skipped"), ("email", "skipped")]
    assert mail.outbox == []


def test_an_appeal_tells_the_moderators_and_its_decision_tells_the_member(
    community: Community,
    moderator: User,
    member: User,
    member_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    warn(community, member_membership, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    charge = member_membership.charges.first()
    assert charge is not None
    with django_capture_on_commit_callbacks(execute=True):
        appeal = budget_services.file_appeal(
            charge=charge, membership=member_membership, statement="I was quoting someone"
        )
    to_decide = Notification.objects.get(kind="appeal_to_decide")
    assert to_decide.recipient.user == moderator
    assert to_decide.link == f"/c/garden/budgets/appeals/#appeal-{appeal.pk}"
    assert [m.to for m in mail.outbox] == [[moderator.email]]
    assert outcomes(to_decide) == [("in_app", "shown"), ("email", "queued"), ("email", "sent")]
    with django_capture_on_commit_callbacks(execute=True):
        budget_services.decide_appeal(appeal=appeal, uphold=True, reason="Fair", by=moderator)
    decided = Notification.objects.get(kind="appeal_decided")
    assert decided.recipient == member_membership
    assert decided.title == "Your appeal: the charge is reversed and no longer counts"
    assert Appeal.objects.get().status == "upheld"


def test_a_facilitator_offer_tells_the_moderator_asked_but_not_one_who_takes_it(
    community: Community, incident: Incident, moderator: User, mod_actor: Any
) -> None:
    other = make_user("nia_mod")
    other_mod = set_role(community=community, user=other, role="moderator")
    services.offer_facilitator(
        incident=incident, to=other_mod, expected_version=None, actor=mod_actor
    )
    offered = Notification.objects.get(kind="facilitator_offered")
    assert offered.recipient == other_mod
    assert offered.link == f"/c/garden/incidents/{incident.pk}/"
    assert "coordinating, not judging" in offered.body


def test_a_reporter_hears_back_when_the_incident_resolves(
    community: Community, space: Any, member_membership: Membership, mod_actor: Any
) -> None:
    report = services.report_heated_space(
        community=community, space=space, reporter=member_membership, message="Piling on"
    )
    incident = services.declare_from_report(report=report, actor=mod_actor)
    services.transition_incident(
        incident=incident, to="resolved", expected_version=None, actor=mod_actor
    )
    told = Notification.objects.get(kind="report_resolved")
    assert told.recipient == member_membership
    assert "has calmed down" in told.title


def test_the_centre_shows_the_unread_count_and_opening_marks_read(
    community: Community,
    member: User,
    member_membership: Membership,
    moderator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    warn(community, member_membership, django_capture_on_commit_callbacks, times=3)
    unread = Notification.objects.filter(recipient=member_membership).count()
    assert unread >= 2
    client = client_for(member)
    home = client.get("/c/garden/").content.decode()
    assert f'data-testid="unread-count">{unread}<' in home
    centre = client.get("/c/garden/notifications/").content.decode()
    assert "A quiet note: your budget has less room for now" in centre
    first = Notification.objects.filter(recipient=member_membership).first()
    assert first is not None
    response = client.post(f"/c/garden/notifications/{first.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/c/garden/my-budget/"
    assert f'data-testid="unread-count">{unread - 1}<' in client.get("/c/garden/").content.decode()
    client.post("/c/garden/notifications/read-all/")
    assert 'data-testid="unread-count"' not in client.get("/c/garden/").content.decode()
    # Someone else's notification does not exist for you.
    assert (
        client_for(moderator).post(f"/c/garden/notifications/{first.pk}/read/").status_code == 404
    )


def test_the_centre_is_for_members(community: Community, outsider: User) -> None:
    assert client_for(outsider).get("/c/garden/notifications/").status_code == 403
    assert Client().get("/c/garden/notifications/").status_code == 302
    assert NotificationDelivery.objects.count() == 0
