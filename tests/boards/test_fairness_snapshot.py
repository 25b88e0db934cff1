"""The fairness board's stored figures: the same figures stored or counted, fresh for
FAIRNESS_SNAPSHOT_MAX_AGE, counted hourly for every community and again when a moderator asks
(htmx), and the boards' "Refresh" that swaps only the board's body."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from boards.fairness import fairness
from boards.models import FairnessSnapshot
from boards.snapshots import fairness_board, store_fairness
from boards.tasks import compute_all_fairness
from community.models import Community
from config.queues import RECALC, queue_of
from tests.boards.helpers import seed_disparity
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def _moderator_client(moderator: User) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


def test_stored_and_counted_figures_are_identical(community: Community) -> None:
    now = timezone.now().replace(microsecond=0)
    seed_disparity(community, now=now)
    with time_machine.travel(now, tick=False):
        live = fairness(community=community, at=now, window_days=30)
        counted = fairness_board(community=community, window_days=30)  # counts and stores
        assert FairnessSnapshot.objects.filter(community=community, window_days=30).exists()
        with CaptureQueriesContext(connection) as captured:
            stored = fairness_board(community=community, window_days=30)
    assert len(captured.captured_queries) == 1  # the stored row, nothing else
    assert stored.tenure == counted.tenure == live.tenure
    assert stored.trust == counted.trust == live.trust
    assert stored.at == counted.at == now
    assert stored.tenure.cohorts[0].flagged  # the disparity is still there


def test_a_fresh_snapshot_is_served_and_a_stale_one_is_counted_again(
    community: Community,
) -> None:
    now = timezone.now()
    seed_disparity(community, now=now)
    earlier = store_fairness(community=community, window_days=30, at=now - timedelta(hours=1))
    assert fairness_board(community=community, window_days=30).at == earlier.computed_at
    FairnessSnapshot.objects.update(computed_at=now - timedelta(hours=3))  # past the 2 h default
    board = fairness_board(community=community, window_days=30)
    assert board.at > now - timedelta(minutes=1)
    assert FairnessSnapshot.objects.get().computed_at == board.at


def test_the_page_and_the_api_say_when_the_figures_were_counted(
    community: Community, moderator: User
) -> None:
    now = timezone.now()
    seed_disparity(community, now=now)
    at = (now - timedelta(minutes=30)).replace(microsecond=0)
    store_fairness(community=community, window_days=30, at=at)
    page = _moderator_client(moderator).get(f"/c/{community.slug}/boards/fairness/")
    assert f"Figures as of {at.astimezone(UTC):%H:%M} UTC" in page.content.decode()
    body = api_client_for(community, "read").get("/api/v1/fairness/").json()
    assert body["computed_at"].startswith(at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert body["cohorts"][0]["flagged"] is True


def test_compute_again_counts_through_the_recalc_queue_and_swaps_the_board(
    community: Community, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    seed_disparity(community, now=now)
    store_fairness(community=community, window_days=30, at=now - timedelta(minutes=50))
    assert queue_of("boards.compute_fairness") == RECALC
    client = _moderator_client(moderator)
    url = f"/c/{community.slug}/boards/fairness/count/?window_days=30&by=tenure"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('id="fairness-board"') == 1 and "<html" not in html
    assert html.count("Compute the figures again") == 1
    assert "being counted again" in html
    # Celery runs eagerly in tests: the task has counted them afresh.
    assert FairnessSnapshot.objects.get().computed_at > now - timedelta(minutes=1)
    plain = client.post(url)
    assert plain.status_code == 302
    assert plain["Location"] == f"/c/{community.slug}/boards/fairness/?window_days=30"
    assert client.get(url).status_code == 405


def test_only_moderators_may_ask_for_the_figures_again(community: Community, member: User) -> None:
    client = Client()
    client.force_login(member)
    response = client.post(f"/c/{community.slug}/boards/fairness/count/")
    assert response.status_code == 403
    assert not FairnessSnapshot.objects.exists()


def test_the_hourly_task_counts_every_community(
    community: Community, other_community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    seed_disparity(community, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert compute_all_fairness() == 2
    assert set(FairnessSnapshot.objects.values_list("community_id", "window_days")) == {
        (community.pk, 30),
        (other_community.pk, 30),
    }
    assert queue_of("boards.compute_all_fairness") == RECALC


@pytest.mark.parametrize(
    ("board", "body"),
    [("flow/", "flow-board"), ("change-safety/", "change-board"), ("fairness/", "fairness-board")],
)
def test_refresh_swaps_only_the_boards_body(
    community: Community, moderator: User, board: str, body: str
) -> None:
    seed_disparity(community, now=timezone.now())
    client = _moderator_client(moderator)
    url = f"/c/{community.slug}/boards/{board}"
    page = client.get(url).content.decode()
    assert f'hx-get="{url}" hx-target="#{body}" hx-swap="outerHTML"' in page
    assert f'href="{url}"' in page  # the same link without JavaScript
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith(f'<div id="{body}">')
    assert partial.count(f'id="{body}"') == 1
    assert "<html" not in partial and "Refresh" not in partial
