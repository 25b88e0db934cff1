"""Two evaluations of one community at once (PostgreSQL): an alert episode fires once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from community.contract.evaluation import evaluate_community
from community.models import ClauseAlert, Community, DomainEvent
from tests.contract.helpers import posts_and_flags, published_clause

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_racing_evaluations_fire_each_alert_once() -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    clause = published_clause(community, at=NOW)
    posts_and_flags(
        community, posts=150, flags=45, at=NOW - timedelta(minutes=4), spread=timedelta(minutes=3)
    )
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def evaluate() -> None:
        try:
            start.wait()
            evaluate_community(community=community, now=NOW)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rules = list(ClauseAlert.objects.filter(clause=clause).values_list("scope", "rule"))
    assert len(rules) == len(set(rules)) > 0
    assert DomainEvent.objects.filter(type="clause.alert_fired").count() == len(rules)
