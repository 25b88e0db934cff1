"""A community's postmortem settings, changed by its moderators on the postmortems page or
through the API: a new postmortem is due by the new time, and an out-of-bounds or missing value
is refused with its reason and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from community.models import Community, Membership, Space
from community.services import ServiceError
from incidents.postmortems import services
from incidents.postmortems.models import PostmortemSettings
from tests.conftest import api_client_for
from tests.postmortems.helpers import resolved_incident

pytestmark = pytest.mark.django_db

GOOD = {
    "due_hours": "72",
    "reminder_every_hours": "12",
    "escalate_after_hours": "6",
    "objection_window_days": "10",
}


def _settings(community: Community) -> tuple[int, int, int, int]:
    found = services.settings_for(community)
    return (
        found.due_hours,
        found.reminder_every_hours,
        found.escalate_after_hours,
        found.objection_window_days,
    )


def test_a_moderator_sets_when_postmortems_are_due_and_the_next_one_follows(
    community: Community, moderator: User, member_membership: Membership
) -> None:
    client = Client()
    client.force_login(moderator)
    page = client.get("/c/garden/postmortems/").content.decode()
    assert "Due times and reminders" in page and 'value="48"' in page
    saved = client.post("/c/garden/postmortems/settings/", GOOD)
    assert saved.status_code == 302
    assert _settings(community) == (72, 12, 6, 10)
    space = Space.objects.create(community=community, name="Seed swap")
    incident = resolved_incident(
        community=community, space=space, moderator=moderator, parties=[member_membership]
    )
    doc = services.start_postmortem(incident=incident, by=moderator)
    assert incident.resolved_at is not None
    assert doc.due_at == incident.resolved_at + timedelta(hours=72)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"due_hours": "0"}, "The due time: choose a whole number of hours from 1 to 720."),
        ({"due_hours": "721"}, "from 1 to 720"),
        ({"reminder_every_hours": ""}, "How often reminders repeat"),
        ({"escalate_after_hours": "-1"}, "hours past the due time from 0 to 720"),
        ({"objection_window_days": "31"}, "days from 1 to 30"),
        ({"objection_window_days": "a week"}, "Enter a whole number"),
    ],
)
def test_a_value_out_of_bounds_is_refused_on_the_page_and_changes_nothing(
    community: Community, moderator: User, change: dict[str, str], message: str
) -> None:
    before = _settings(community)
    client = Client()
    client.force_login(moderator)
    refused = client.post("/c/garden/postmortems/settings/", {**GOOD, **change})
    assert refused.status_code == 400
    assert message in refused.content.decode()
    assert _settings(community) == before


def test_members_cannot_change_the_settings(community: Community, member: User) -> None:
    client = Client()
    client.force_login(member)
    assert client.post("/c/garden/postmortems/settings/", GOOD).status_code == 403
    assert not PostmortemSettings.objects.filter(community=community, due_hours=72).exists()


def test_the_settings_through_the_api(community: Community, api: APIClient) -> None:
    assert api.get("/api/v1/postmortem-settings/").json() == {
        "due_hours": 48,
        "reminder_every_hours": 24,
        "escalate_after_hours": 24,
        "objection_window_days": 7,
    }
    body = {key: int(value) for key, value in GOOD.items()}
    changed = api.put("/api/v1/postmortem-settings/", body, format="json")
    assert changed.status_code == 200 and changed.json() == body
    too_long = api.put("/api/v1/postmortem-settings/", {**body, "due_hours": 10_000}, format="json")
    assert too_long.status_code == 400
    missing = api.put("/api/v1/postmortem-settings/", {"due_hours": 24}, format="json")
    assert missing.status_code == 400
    assert _settings(community) == (72, 12, 6, 10)
    reader = api_client_for(community, "read")
    assert reader.get("/api/v1/postmortem-settings/").status_code == 200
    assert reader.put("/api/v1/postmortem-settings/", body, format="json").status_code == 403


def test_the_service_refuses_a_missing_value(community: Community) -> None:
    with pytest.raises(ServiceError, match="The due time"):
        services.update_settings(
            community=community,
            due_hours=None,
            reminder_every_hours=24,
            escalate_after_hours=24,
            objection_window_days=7,
        )
    assert not PostmortemSettings.objects.filter(community=community).exclude(due_hours=48).exists()
