"""A replay asked for through the API runs on a real Celery worker through Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.contract.replay.models import Replay, ReplayStatus
from community.models import Community
from tests.conftest import WorkerProcess, api_client_for, wait_for
from tests.contract.helpers import posts_and_flags, published_clause

pytestmark = [pytest.mark.worker]


def test_a_replay_runs_on_the_worker_and_its_results_are_kept(
    celery_worker: WorkerProcess,
) -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    clause = published_clause(community)
    posts_and_flags(community, posts=150, flags=45, at=timezone.now() - timedelta(hours=2))
    api = api_client_for(community, "moderate", "read")
    response = api.post("/api/v1/replays/", {"clause_id": clause.pk}, format="json")
    assert response.status_code == 202, response.content
    replay = wait_for(
        lambda: Replay.objects.filter(status=ReplayStatus.DONE).first(),
        timeout=60,
        what="the replay to finish on the worker",
    )
    assert replay.progress == 100
    body = api.get(response["Location"]).json()
    assert {(a["rule"], a["scope"]) for a in body["alerts"]} >= {("page_fast", "")}
