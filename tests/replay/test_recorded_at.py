"""Imported history through the batch API (DESIGN.md §3.7): ``recorded_at`` is kept, defaults to
the time of receipt, and is refused naming the field when in the future or before the post."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from community.models import ConductEvent

URL = "/api/v1/events/"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def _event(**overrides: Any) -> dict[str, Any]:
    return {
        "external_id": "p-1",
        "kind": "post",
        "occurred_at": "2026-11-01T10:00:00Z",
        "member": {"external_id": "2288"},
        **overrides,
    }


def test_recorded_at_is_kept_for_imported_history(api: APIClient) -> None:
    with time_machine.travel(NOW, tick=False):
        response = api.post(
            URL, {"events": [_event(recorded_at="2026-11-03T09:30:00Z")]}, format="json"
        )
    assert response.status_code == 200, response.content
    assert ConductEvent.objects.get().recorded_at == datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


def test_recorded_at_defaults_to_the_time_of_receipt(api: APIClient) -> None:
    with time_machine.travel(NOW, tick=False):
        assert api.post(URL, {"events": [_event()]}, format="json").status_code == 200
    assert ConductEvent.objects.get().recorded_at == NOW


@pytest.mark.parametrize(
    "recorded_at", ["2026-11-20T12:01:00Z", "2026-10-31T23:59:00Z", "not a time"]
)
def test_a_recorded_at_in_the_future_or_before_the_post_is_refused(
    api: APIClient, recorded_at: str
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = api.post(URL, {"events": [_event(recorded_at=recorded_at)]}, format="json")
    assert response.status_code == 400
    assert "recorded_at" in response.content.decode()
    assert not ConductEvent.objects.exists()
