"""The release, council and replay services' refusals are said in the reader's language: a
Korean moderator's page, and the API of a community whose default is Korean. What the trial
records (its timeline) stays in English; what a refusal says is shown once, never stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from community.contract.releases.canary import start_canary
from community.contract.releases.council import add_group, answer_draft, configure_council
from community.contract.replay.services import request_replay
from community.contract.services import publish_contract
from community.models import (
    Community,
    ConductEvent,
    Membership,
    PersonalSettings,
    Space,
)
from community.services import ServiceError
from tests.contract.helpers import published_clause
from tests.releases.helpers import ready_for_trial

pytestmark = pytest.mark.django_db


def test_a_korean_moderator_reads_why_a_trial_was_not_started_in_korean(
    client: Client, community: Community, moderator: User
) -> None:
    PersonalSettings.objects.create(user=moderator, language="ko")
    _, trial, _ = ready_for_trial(community)
    client.force_login(moderator)
    response = client.post(
        f"/c/{community.slug}/contract/releases/start/",
        {"space_ids": [trial.pk], "duration_hours": "5", "summary": " "},
        follow=True,
    )
    page = response.content.decode()
    assert "이 버전에서 무엇이 바뀌는지 한두 문장으로 적어 주세요." in page
    assert "Say what this version changes" not in page


def test_the_api_of_a_korean_community_refuses_in_korean(
    api: APIClient, community: Community, other_community: Community
) -> None:
    community.default_language = "ko"
    community.save()
    ready_for_trial(community)
    elsewhere = Space.objects.create(community=other_community, name="Openings", external_id="9")
    refused = api.post(
        "/api/v1/canaries/",
        {"summary": "x", "space_ids": [elsewhere.pk], "duration_hours": 5},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        "그중 일부는 이 커뮤니티의 공간이 아니어서 시범 적용을 시작하지 않았어요."
    )
    future = api.post(
        "/api/v1/replays/",
        {"clause_id": published_clause(community).pk, "to": "2999-01-01T00:00:00Z"},
        format="json",
    )
    assert future.status_code == 400
    assert "미리 돌려보기는 지난 기간만 볼 수 있어요." in str(future.json()["errors"])


def test_the_council_s_refusals_name_the_groups_in_korean(
    community: Community, member_membership: Membership, moderator: User
) -> None:
    ready_for_trial(community)
    mod = Membership.objects.get(user=moderator, community=community)
    configure_council(community=community, enabled=True)
    allotments = add_group(community=community, name="Allotments", delegate=member_membership)
    orchard = add_group(community=community, name="Orchard", delegate=mod)
    with translation.override("ko"):
        with pytest.raises(ServiceError) as waiting:
            publish_contract(community=community, summary="Stricter", by=None)
        assert str(waiting.value) == (
            "협의회가 아직 답하지 않았어요. Allotments, Orchard의 답을 기다리고 있어요."
        )
        with pytest.raises(PermissionError) as not_theirs:
            answer_draft(
                community=community, group=orchard, membership=member_membership, kind="ratify"
            )
        assert str(not_theirs.value) == (
            "Orchard의 대표만 이 집단을 대신해 답할 수 있어서 아무것도 기록하지 않았어요."
        )
        for group, delegate in ((allotments, member_membership), (orchard, mod)):
            answer_draft(
                community=community, group=group, membership=delegate, kind="block", reason="No"
            )
        with pytest.raises(ServiceError) as blocked:
            start_canary(
                community=community,
                space_ids=[Space.objects.get(community=community, external_id="2").pk],
                duration_hours=5,
                summary="Stricter",
                by=None,
            )
        assert str(blocked.value) == (
            "Allotments, Orchard에서 이 버전에 반대했어요. "
            "반대를 거두거나 버전을 고칠 때까지 기다려요."
        )
        with pytest.raises(ServiceError) as again:
            add_group(community=community, name="Orchard", delegate=None)
        assert str(again.value) == "Orchard라는 집단이 이미 있어요."


def test_a_replay_before_the_stored_history_gives_the_date_in_korean(
    community: Community,
) -> None:
    clause, _, _ = ready_for_trial(community)
    stored = ConductEvent.objects.filter(community=community)
    assert stored.update(recorded_at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC)) > 0
    with translation.override("ko"), pytest.raises(ServiceError) as early:
        request_replay(
            community=community,
            definition=clause.draft_definition(),
            start=datetime(2026, 1, 1, tzinfo=UTC),
            end=datetime(2026, 2, 1, tzinfo=UTC),
        )
    assert str(early.value) == (
        "기간이 저장된 기록이 시작되기(UTC 2026년 3월 4일 5:06 오전) 전에 끝나요."
    )
