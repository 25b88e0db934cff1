from __future__ import annotations

from collections.abc import Iterator

import pytest

from community.models import Community
from integrations.discourse import connection as connection_service
from integrations.discourse import receive
from integrations.discourse.connection import connect_discourse
from integrations.models import DiscourseConnection
from integrations.webhooks import delivery as webhook_delivery
from tests.integrations.helpers import API_KEY, API_USER, SECRET, FakeDiscourse, fake_discourse


@pytest.fixture
def forum() -> Iterator[FakeDiscourse]:
    with fake_discourse() as fake:
        yield fake


@pytest.fixture
def connection(community: Community, forum: FakeDiscourse) -> DiscourseConnection:
    return connect_discourse(
        community=community,
        base_url=forum.url,
        secret=SECRET,
        api_key=API_KEY,
        api_username=API_USER,
    )


@pytest.fixture(autouse=True)
def _quick_timings(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fake forum's "timeout" sleeps 1.5 s; the client gives up after 0.5 s.
    monkeypatch.setattr(connection_service, "HTTP_TIMEOUT", 0.5)
    monkeypatch.setattr(webhook_delivery, "HTTP_TIMEOUT", 0.5)
    # Drain after every delivery (production coalesces drains per half second).
    monkeypatch.setattr(receive, "DRAIN_WINDOW_SECONDS", 0.0)
