"""A burst of concurrent requests never opens more database connections than the pool allows
(the development server starts a thread per request; without a bound they exhaust PostgreSQL)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _backends(database: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        return int(cursor.fetchone()[0])


def test_forty_requests_at_once_stay_within_the_pool(live_server: Any) -> None:
    pool = settings.DATABASES["default"]["OPTIONS"]["pool"]
    database = settings.DATABASES["default"]["NAME"]
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _backends(database))

    statuses: list[int] = []

    def fetch() -> None:
        with urllib.request.urlopen(f"{live_server.url}/c/none/", timeout=30) as response:  # noqa: S310
            statuses.append(response.status)

    def fetch_404() -> None:
        try:
            fetch()
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    sampler = threading.Thread(target=sample)
    sampler.start()
    threads = [threading.Thread(target=fetch_404) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    done.set()
    sampler.join()
    assert statuses == [404] * 40
    assert 0 < peak <= pool["max_size"]
