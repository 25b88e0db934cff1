"""A notice that is always shown (a member's own budget, a pause on their posting, their appeal)
says on the preferences page why it cannot be turned off, and a request crafted to turn it off
anyway is refused in words and saves nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from community.models import (
    ALWAYS_IN_APP,
    Membership,
    NotificationKind,
    NotificationPreference,
)

pytestmark = pytest.mark.django_db
URL = "/c/garden/notifications/preferences/"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_says_why_a_notice_about_you_is_always_shown(
    member: User, member_membership: Membership
) -> None:
    page = client_for(member).get(URL).content.decode()
    assert "always" in page and "they are about you" in page
    for kind in ALWAYS_IN_APP:
        label = str(NotificationKind(kind).label)
        assert label in page
        assert f'name="in_app_{kind}"' not in page  # no box to untick
        assert f'name="email_{kind}"' in page  # its e-mail can still be turned off
    assert page.count('aria-describedby="always-why"') == len(ALWAYS_IN_APP)


@pytest.mark.parametrize("value", ["", "off", "false", "0"])
def test_a_crafted_request_to_turn_one_off_is_refused_and_saves_nothing(
    member: User, member_membership: Membership, value: str
) -> None:
    data = {f"email_{k}": "on" for k in NotificationKind.values}
    data[f"in_app_{NotificationKind.TIER_CHANGED}"] = value
    response = client_for(member).post(URL, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "These are always shown in the app, because they are about your own budget" in body
    assert str(NotificationKind(NotificationKind.TIER_CHANGED).label) in body
    assert not NotificationPreference.objects.filter(membership=member_membership).exists()


def test_turning_off_only_the_email_of_an_always_shown_notice_is_saved(
    member: User, member_membership: Membership
) -> None:
    data = {f"email_{k}": "on" for k in NotificationKind.values}
    data.pop(f"email_{NotificationKind.APPEAL_DECIDED}")
    response = client_for(member).post(URL, data)
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(
        membership=member_membership, kind=NotificationKind.APPEAL_DECIDED
    )
    assert (pref.in_app, pref.email) == (True, False)
