"""A board's download has its column headers in the downloader's language; the rows keep the
board's words."""

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
