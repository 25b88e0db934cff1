"""The last words the system wrote in English, now in the community's default language when
stored and in the reader's when shown: a trial's gate findings (each a code with its values,
said on the trial page in the reader's language), the trial's outcome and timeline, a runbook
step's reasons, and the reasons of charges made from forum events. A moderator reading English
acts; the Korean community's records read in Korean."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from budgets.models import Charge
from community.contract.releases.canary import check_canary, promote_canary, start_canary
from community.contract.releases.models import CanaryStatus, EntryKind
from community.contract.releases.policy_trial import start_policy_trial
from community.models import Community, Membership, Space
from incidents import services
from incidents.models import StepRun, TimelineEntry, TimelineKind
from incidents.starter_runbooks import RUNBOOK_A, RUNBOOK_B, install_starter_runbooks
from tests.budgets.helpers import event, send
from tests.releases.helpers import burst, ready_for_trial

pytestmark = pytest.mark.django_db


def _korean(community: Community) -> None:
    community.default_language = "ko"
    community.save()


def _page(user: User, path: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_the_gate_s_findings_and_the_trial_s_outcome_read_in_korean(
    community: Community, moderator: User
) -> None:
    _korean(community)
    clause, trial, _rest = ready_for_trial(community)
    canary = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=24, summary="Stricter", by=None
    )
    with translation.override("en"):  # the periodic check runs with no reader
        assert check_canary(canary_id=canary.pk) == CanaryStatus.RUNNING
        burst(community)
        assert check_canary(canary_id=canary.pk) == CanaryStatus.ROLLED_BACK
    canary.refresh_from_db()
    held = canary.entries.get(kind=EntryKind.GATE_HELD).words
    assert held == (
        "관문을 통과하고 있어요. 시범 적용 공간에서 비교 대상보다 나빠 보이는 것이 없어요."
    )
    failed = canary.entries.get(kind=EntryKind.GATE_FAILED).words
    assert failed.startswith("관문을 통과하지 못했어요. ")
    assert f"“{clause.title}”: 지난 한 시간 동안 시범 적용 공간이 실수 여유를" in failed
    assert canary.outcome.startswith(failed)
    assert "시범 적용을 되돌렸어요(되돌린 쪽: 관문)." in canary.outcome
    for words in (held, failed, canary.outcome):
        assert "The gate" not in words and "Rolled back" not in words
    # The trial page says the last check's findings in the reader's language.
    page = _page(moderator, f"/c/{community.slug}/contract/releases/canaries/{canary.pk}/")
    assert "약속이 허용하는 속도의" in page
    assert re.search(r"게시물 \d+개 중 \d+개가 어긋난 것으로 집계됐어요", page)
    assert "이의 제기: 지금까지 시범 적용 공간의 차감은" in page
    assert "times as fast as the contract allows" not in page
    assert "The gate failed" not in page and "Rolled back by" not in page
    # The gate's math and its English record (the API's findings) are unchanged.
    burn = next(f for f in canary.last_verdict["findings"] if f["measure"] == "burn")
    assert not burn["holds"] and burn["code"] == "burn"
    assert "times as fast as the contract allows" in burn["words"]


def test_a_promoted_trial_reads_in_korean_on_the_release_health_page(
    community: Community, moderator: User
) -> None:
    _korean(community)
    _clause, trial, _rest = ready_for_trial(community)
    canary = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=24, summary="Stricter", by=None
    )
    with translation.override("en"):  # the moderator reads English
        promote_canary(canary=canary, by=moderator)
    canary.refresh_from_db()
    assert canary.outcome == "maya_mod 님이 모든 공간에 적용했어요."
    page = _page(moderator, f"/c/{community.slug}/contract/releases/versions/2/")
    assert "maya_mod 님이 모든 공간에 적용했어요." in page
    assert "Promoted to every space by" not in page


def _start(incident: Any, runbook: Any, actor: services.Actor, capture: Any) -> Any:
    with capture(execute=True), translation.override("en"):
        return services.start_runbook(
            incident=incident,
            runbook=runbook,
            expected_version=type(incident).objects.get(pk=incident.pk).version,
            actor=actor,
        )


def test_a_runbook_s_step_reasons_are_written_in_the_community_s_language(
    community: Community,
    moderator: User,
    member_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _korean(community)
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    actor = services.Actor.person(moderator)
    incident = services.declare_incident(
        community=community,
        title="Proposals: the vote got heated",
        severity="SEV3",
        spaces=[space],
        parties=[member_membership],
        actor=actor,
    )
    runbooks = install_starter_runbooks(community=community)
    run = _start(incident, runbooks[RUNBOOK_A], actor, django_capture_on_commit_callbacks)
    reasons = [s.reason for s in run.steps.order_by("position")[:3]]
    assert reasons[0] == "Proposals: 느린 모드, 120분 동안 적용했어요."
    assert reasons[1] == "Proposals에 알림 게시를 요청했어요."
    assert "따로 보냈어요." in reasons[2]
    checklist = run.steps.get(position=4)
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        services.run_step_now(step_run=checklist, expected_version=None, actor=actor)
    assert StepRun.objects.get(pk=checklist.pk).reason == "maya_mod 님이 마쳤어요."
    safety = _start(incident, runbooks[RUNBOOK_B], actor, django_capture_on_commit_callbacks)
    assert safety.steps.get(position=1).reason == (
        "Proposals (이미 숨 고르기 중): 읽기 전용, 360분 동안 적용했어요."
    )
    assert safety.steps.get(position=3).reason == "조건에 맞지 않아요: SEV1 단계에서만 실행돼요."
    # The timeline's entries that quote a step's words are in the same language, whole.
    entries = set(
        TimelineEntry.objects.filter(incident=incident, kind=TimelineKind.STEP).values_list(
            "text", flat=True
        )
    )
    assert (
        "1번 절차 단계를 마쳤어요: Slow mode for 2 hours. Proposals: 느린 모드, 120분 동안 "
        "적용했어요."
    ) in entries
    assert "3번 절차 단계를 건너뛰었어요: 조건에 맞지 않아요: SEV1 단계에서만 실행돼요." in entries
    every = [s.reason for s in StepRun.objects.filter(run__incident=incident) if s.reason]
    english = ("Condition not met", "Done by", "Sent privately", "Notice requested", " min on ")
    assert every and not any(word in reason for reason in every for word in english)


def test_charges_from_forum_events_carry_their_reasons_in_korean(community: Community) -> None:
    _korean(community)
    with translation.override("en"):
        send(
            community,
            event("flag_upheld", member="1", category="off_topic", severity="moderate"),
            event("moderator_warning", member="1", severity="minor"),
            event("post_removed", member="1", severity="minor"),
        )
    reasons = set(Charge.objects.filter(community=community).values_list("reason", flat=True))
    assert reasons == {
        "운영자가 게시물에 대한 신고(주제에서 벗어남)를 받아들였어요",
        "운영자의 경고",
        "게시물이 삭제되었어요",
    }


def test_a_charge_under_a_policy_on_trial_says_so_in_korean(community: Community) -> None:
    _korean(community)
    _clause, trial, _rest = ready_for_trial(community)
    start_policy_trial(
        community=community,
        space_ids=[trial.pk],
        duration_hours=24,
        summary="Upheld flags cost twice as much",
        costs={"flag_upheld": {"minor": "2", "moderate": "6", "severe": "12"}},
        by=None,
    )
    with translation.override("en"):
        burst(community, posts=2, flags=1)
    (reason,) = set(Charge.objects.filter(community=community).values_list("reason", flat=True))
    assert reason == (
        "운영자가 게시물에 대한 신고(부적절함)를 받아들였어요 "
        "(이 공간에서 시범 적용 중인 정책 버전 2 기준으로 차감했어요)"
    )
    assert "costed under" not in reason and "upheld" not in reason
