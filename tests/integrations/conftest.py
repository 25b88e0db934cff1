from __future__ import annotations

from collections.abc import Iterator

import pytest

from community.models import Community
from integrations import services
from integrations.models import DiscourseConnection
from tests.integrations.helpers import API_KEY, API_USER, SECRET, FakeDiscourse, fake_discourse


@pytest.fixture
def forum() -> Iterator[FakeDiscourse]:
    with fake_discourse() as fake:
        yield fake


@pytest.fixture
def connection(community: Community, forum: FakeDiscourse) -> DiscourseConnection:
    return services.connect_discourse(
        community=community,
        base_url=forum.url,
        secret=SECRET,
        api_key=API_KEY,
        api_username=API_USER,
    )


@pytest.fixture(autouse=True)
def _quick_timings(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fake forum's "timeout" sleeps 1.5 s; the client gives up after 0.5 s.
    monkeypatch.setattr(services, "HTTP_TIMEOUT", 0.5)
    # Drain after every delivery (production coalesces drains per half second).
    monkeypatch.setattr(services, "DRAIN_WINDOW_SECONDS", 0.0)
