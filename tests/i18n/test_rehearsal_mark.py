"""A rehearsal's mark on its notices is said in the language of each recipient: the same notice
in a game day's sandbox reaches a Korean moderator marked in Korean and an English one in
English, whoever's action raised it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from community.models import Community, NotificationKind, PersonalSettings
from community.notifications import notify
from incidents.gamedays import services
from tests.conftest import make_user
from tests.gamedays.helpers import burst, ready

pytestmark = pytest.mark.django_db

KOREAN_MARK = "모의 훈련 알림이에요. 커뮤니티의 훈련용 사본에서 일어난 일이라"


def test_a_rehearsal_notice_is_marked_in_each_recipient_s_language(
    community: Community, moderator: User
) -> None:
    _, runbook = ready(community)
    game_day = services.start_game_day(
        community=community, recording=burst(), runbook=runbook, speed=60, by=moderator
    )
    sandbox = game_day.sandbox
    assert sandbox is not None
    PersonalSettings.objects.create(user=moderator, language="ko")
    english = make_user("erin_english")
    PersonalSettings.objects.create(user=english, language="en")
    korean_moderator = sandbox.memberships.get(user=moderator)
    english_member = sandbox.memberships.create(user=english, display_name="Erin")
    with translation.override("en"):
        korean, other = notify(
            community=sandbox,
            recipients=[korean_moderator, english_member],
            kind=NotificationKind.POSTMORTEM_DUE,
            title=lambda: "A title",
            body=lambda: "A body.",
        )
    assert korean.title == "모의 훈련: A title"
    assert korean.body.startswith(KOREAN_MARK) and korean.body.endswith("\n\nA body.")
    assert other.title == "Rehearsal: A title"
    assert other.body.startswith("This is a game day rehearsal, a drill")
