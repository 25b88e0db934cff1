"""A trial rolled back tells each moderator in their own language, whoever or whatever rolled
it back: the gate's reasons and what applies again, in Korean for a Korean moderator and in
English for an English one. The trial's timeline and outcome are records, written in the
community's default language (English here; a Korean community's in
``test_system_reasons.py``)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from community.contract.releases.canary import check_canary, roll_back_canary, start_canary
from community.contract.releases.models import CanaryStatus
from community.contract.releases.policy_trial import start_policy_trial
from community.models import Community, Notification, PersonalSettings, Role
from community.services import set_role
from tests.conftest import make_user
from tests.releases.helpers import burst, ready_for_trial

pytestmark = pytest.mark.django_db


def _english_moderator(community: Community) -> User:
    user = make_user("erin_english")
    set_role(community=community, user=user, role=Role.MODERATOR)
    PersonalSettings.objects.create(user=user, language="en")
    return user


def test_the_gate_s_rollback_reaches_each_moderator_in_their_language(
    community: Community, moderator: User
) -> None:
    PersonalSettings.objects.create(user=moderator, language="ko")
    english = _english_moderator(community)
    clause, trial, _ = ready_for_trial(community)
    canary = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=24, summary="Stricter", by=None
    )
    burst(community)
    with translation.override("en"):
        assert check_canary(canary_id=canary.pk) == CanaryStatus.ROLLED_BACK
    korean = Notification.objects.get(kind="release_rolled_back", recipient__user=moderator)
    assert korean.title == "버전 2 시범 적용을 되돌렸어요"
    assert korean.body.startswith("관문을 통과하지 못했어요.")
    assert f"“{clause.title}”: 지난 한 시간 동안 시범 적용 공간이 실수 여유를" in korean.body
    assert "시범 적용을 되돌렸어요(되돌린 쪽: 관문). 시범 적용 공간에는 다시 버전 1 약속이" in (
        korean.body
    )
    assert "The gate" not in korean.body and "Rolled back" not in korean.body
    assert set(korean.deliveries.values_list("language", flat=True)) == {"ko"}
    other = Notification.objects.get(kind="release_rolled_back", recipient__user=english)
    assert other.title == "The trial of version 2 was rolled back"
    assert other.body.startswith("The gate failed: ")
    assert f"“{clause.title}”: over the last hour the trial spaces used the room" in other.body
    assert "Rolled back by the gate: version 1 applies again in the trial spaces." in other.body
    # What the trial recorded is in the community's language (English), whoever reads it.
    canary.refresh_from_db()
    assert canary.outcome.endswith(
        "Rolled back by the gate: version 1 applies again in the trial spaces."
    )
    assert canary.entries.get(kind="gate_failed").words.startswith("The gate failed: ")


def test_a_moderator_s_rollback_of_a_policy_trial_is_told_in_korean(
    community: Community, moderator: User
) -> None:
    PersonalSettings.objects.create(user=moderator, language="ko")
    _, trial, _ = ready_for_trial(community)
    canary = start_policy_trial(
        community=community,
        space_ids=[trial.pk],
        duration_hours=24,
        summary="Upheld flags cost twice as much",
        costs={"flag_upheld": {"minor": "2", "moderate": "6", "severe": "12"}},
        by=None,
    )
    with translation.override("en"):
        roll_back_canary(canary=canary, by_name="maya")
    (notice,) = Notification.objects.filter(kind="release_rolled_back")
    assert notice.title == "예산 정책 버전 2 시범 적용을 되돌렸어요"
    assert notice.body == (
        "시범 적용을 되돌렸어요(되돌린 쪽: maya). 시범 적용 공간에는 다시 버전 1 예산 정책이 "
        "적용돼요."
    )
