"""A board's download is in the downloader's language: its column headers and its rows' section
and figure words; clause titles stay as written."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from community.models import Community, PersonalSettings
from tests.boards.helpers import seed_disparity

pytestmark = pytest.mark.django_db


def test_a_korean_moderator_downloads_the_fairness_board_with_korean_headers(
    community: Community, moderator: User
) -> None:
    PersonalSettings.objects.create(user=moderator, language="ko")
    seed_disparity(community, now=timezone.now())
    client = Client()
    client.force_login(moderator)
    lines = client.get(f"/c/{community.slug}/boards/fairness.csv").content.decode().splitlines()
    assert lines[0] == (
        "묶는 기준,집단,회원 수,게시물 수,차감 수,게시물 100개당 차감,주의 단계 이하인 비율,"
        "이의 제기된 차감 중 되돌린 비율,비율 비,95% 구간,읽기"
    )
    headers = {"flow.csv": "구분,이름,항목,값", "change-safety.csv": "구분,월,항목,값"}
    for board, first in headers.items():
        assert client.get(f"/c/{community.slug}/boards/{board}").content.decode().startswith(first)


def test_a_korean_moderator_reads_the_rows_section_and_figure_words_in_korean(
    community: Community, moderator: User
) -> None:
    PersonalSettings.objects.create(user=moderator, language="ko")
    seed_disparity(community, now=timezone.now())
    client = Client()
    client.force_login(moderator)
    flow = client.get(f"/c/{community.slug}/boards/flow.csv").content.decode()
    assert "진행 중,경보,수,0" in flow and "진행 중,갈등 상황,수,0" in flow
    assert "open,alerts" not in flow and ",count," not in flow
    change = client.get(f"/c/{community.slug}/boards/change-safety.csv").content.decode()
    assert "후속 확인,전체,제때 마친 회복적 돌아보기," in change
    assert "변경 실패,전체,이의 제기로 되돌린 차감," in change
    assert "follow-up" not in change and "change failure" not in change
    fairness = client.get(f"/c/{community.slug}/boards/fairness.csv").content.decode()
    rows = fairness.splitlines()[1:]
    assert rows and all(row.startswith(("활동 기간,", "신뢰 등급,")) for row in rows)
