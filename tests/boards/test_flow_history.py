"""The flow board's daily history of each clause: the last snapshot of each day, one a day, on
whichever database runs (SQLite under ``make run`` has no DISTINCT ON)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from boards.flow import flow_health
from community.models import ClauseSnapshot, Community
from tests.contract.helpers import published_clause

pytestmark = pytest.mark.django_db


def test_each_day_shows_its_last_snapshot_once(community: Community) -> None:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    clause = published_clause(community, at=now)
    snapshot = ClauseSnapshot.objects.filter(clause=clause, scope="").order_by("-bucket").first()
    assert snapshot is not None
    day = timezone.localdate(now - timedelta(days=3))
    midnight = timezone.make_aware(datetime.combine(day, time.min))
    for hour, bad in ((1, 5), (22, 7), (9, 6)):
        bucket = midnight + timedelta(hours=hour)
        ClauseSnapshot.objects.filter(clause=clause, scope="", bucket=bucket).delete()
        snapshot.pk = None
        snapshot.bucket, snapshot.bad = bucket, bad
        snapshot.save()
    history = flow_health(community=community, at=now).clauses[0].history
    days = [timezone.localdate(snap.bucket) for snap in history]
    assert days == sorted(set(days))
    (that_day,) = [snap for snap in history if timezone.localdate(snap.bucket) == day]
    assert (that_day.bad, timezone.localtime(that_day.bucket).hour) == (7, 22)
