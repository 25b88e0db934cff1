"""With a real Celery worker through Redis: the feeder plays a short recording into the
sandbox at 60 times, scheduling itself batch after batch."""

from __future__ import annotations

import pytest

from community.models import Community, ConductEvent, Role
from community.services import set_role
from incidents.gamedays import services
from incidents.gamedays.models import GameDay
from tests.conftest import WorkerProcess, make_user, wait_for
from tests.gamedays.helpers import burst, ready

pytestmark = [pytest.mark.worker]


def test_the_worker_feeds_a_short_recording_at_high_speed(celery_worker: WorkerProcess) -> None:
    community = Community.objects.create(slug="garden", name="Garden")
    user = make_user("maya_mod")
    set_role(community=community, user=user, role=Role.MODERATOR)
    _, runbook = ready(community)
    recording = burst(seconds=180, posts=30, flags=6)  # 3 recorded minutes: 3 s at 60 times
    game_day = services.start_game_day(
        community=community, recording=recording, runbook=runbook, speed=60, by=user
    )
    fed = wait_for(
        lambda: GameDay.objects.filter(pk=game_day.pk, fed_at__isnull=False).first(),
        timeout=60,
        what="the feeder to send the whole recording",
    )
    assert fed.emitted == len(recording.events)
    assert ConductEvent.objects.filter(community=fed.sandbox).count() == len(recording.events)
    assert not ConductEvent.objects.filter(community=community).exists()
    # It took several batches on the accelerated clock, not one at the start.
    assert celery_worker.log().count("gamedays.feed") >= 3
    assert (fed.fed_at - fed.started_at).total_seconds() >= 2
