"""The war room's htmx answers: each control names its own region, and the answer holds that
region once (swapped in place) plus out-of-band copies of the few others that change; reports
are detached from the room and attached from the board; reporters hear back on the status
page; a proposed lift is decided from the room."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import Membership
from incidents import services
from incidents.models import IncidentReport, StepStatus
from tests.incidents.conftest import fresh
from tests.incidents.test_pages import HTMX, client_for, room

REGION_IDS = (
    "room-header",
    "room-timeline",
    "room-roles",
    "room-runbooks",
    "room-cooldowns",
    "room-reports",
    "room-metrics",
)


def _top_level(html: str) -> list[tuple[str, bool]]:
    """(id, out of band?) of each region element in an answer."""
    found = []
    for match in re.finditer(r'<(?:section|form|div)\s+id="(room-[a-z]+)"([^>]*)>', html):
        found.append((match.group(1), "hx-swap-oob" in match.group(2)))
    return found


def test_the_page_holds_every_region_once_and_every_control_names_its_target(
    incident, moderator, runbook_a
) -> None:
    html = client_for(moderator).get(room(incident)).content.decode()
    for region in REGION_IDS:
        assert html.count(f'id="{region}"') == 1
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    posts = re.findall(r"<form [^>]*hx-post=[^>]*>", html)
    assert posts
    for tag in posts:
        assert 'hx-target="#room-' in tag and 'hx-swap="outerHTML"' in tag, tag
    # Nothing inherits a target from an ancestor any more.
    assert not re.search(r"<(?:div|section|main|aside)[^>]*\shx-target=", html)


@pytest.mark.parametrize(
    ("path", "data", "target"),
    [
        ("transition/", {"to": "mitigating", "version": 1}, "room-header"),
        ("notes/", {"text": "Spoke with both."}, "room-timeline"),
        ("runbooks/", {"version": 1}, "room-runbooks"),
    ],
)
def test_an_action_answers_with_its_region_and_out_of_band_copies(
    incident, moderator, runbook_a, path: str, data: dict[str, object], target: str
) -> None:
    if path == "runbooks/":
        data = {**data, "runbook": runbook_a.pk}
    html = client_for(moderator).post(room(incident) + path, data, **HTMX).content.decode()
    regions = _top_level(html)
    assert regions[0] == (target, False)
    names = [name for name, _ in regions]
    assert len(names) == len(set(names)), names
    assert all(oob for _, oob in regions[1:])
    assert 'id="room-message"' in html and 'id="v-offer"' in html


def test_a_failed_update_keeps_what_was_typed(incident, moderator) -> None:
    html = client_for(moderator).post(room(incident) + "notes/", {"text": " "}, **HTMX)
    text = html.content.decode()
    assert "Write something in the note" in text
    assert 'id="room-update"' not in text  # the box is not replaced, so nothing is lost


def test_a_joined_report_is_shown_and_detached_from_the_war_room(
    community, space, incident, moderator
) -> None:
    reporter = Membership.objects.create(community=community, display_name="rue")
    report = services.report_heated_space(
        community=community, space=space, reporter=reporter, message="Piling on"
    )
    client = client_for(moderator)
    page = client.get(room(incident)).content.decode()
    assert "Piling on" in page and "Detach to the board" in page
    response = client.post(
        room(incident) + f"reports/{report.pk}/detach/",
        {"version": fresh(incident).version},
        **HTMX,
    )
    assert _top_level(response.content.decode())[0] == ("room-reports", False)
    assert IncidentReport.objects.get(pk=report.pk).status == "open"
    board = client.get("/c/garden/incidents/").content.decode()
    assert "Add to incident" in board
    client.post(f"/c/garden/incidents/reports/{report.pk}/attach/", {"incident": incident.pk})
    assert IncidentReport.objects.get(pk=report.pk).incident == incident
    assert client.post(room(incident) + "reports/999/detach/").status_code == 404


def test_members_cannot_attach_or_detach(community, space, incident, member, moderator) -> None:
    reporter = Membership.objects.create(community=community, display_name="rue")
    report = services.report_heated_space(
        community=community, space=space, reporter=reporter, message=""
    )
    assert client_for(member).post(room(incident) + f"reports/{report.pk}/detach/").status_code in (
        403,
        404,
    )
    assert (
        client_for(member)
        .post(f"/c/garden/incidents/reports/{report.pk}/attach/", {"incident": incident.pk})
        .status_code
        == 403
    )
    assert IncidentReport.objects.get(pk=report.pk).status == "attached"


def test_the_reporter_hears_back_on_the_status_page(
    community, space, incident, member, member_membership, mod_actor
) -> None:
    services.report_heated_space(
        community=community, space=space, reporter=member_membership, message=""
    )
    client = client_for(member)
    assert "What you told us" not in client.get("/c/garden/status/").content.decode()
    services.transition_incident(
        incident=incident, to="resolved", expected_version=None, actor=mod_actor
    )
    page = client.get("/c/garden/status/").content.decode()
    assert "You told the moderators about Proposals" in page
    assert "it is resolved now" in page


def test_a_proposed_lift_is_decided_from_the_war_room(
    community, incident, moderator, mod_actor, runbook_a, space
) -> None:
    services.offer_facilitator(
        incident=incident,
        to=community.memberships.get(user=moderator),
        expected_version=None,
        actor=mod_actor,
    )
    run = services.start_runbook(
        incident=incident, runbook=runbook_a, expected_version=None, actor=mod_actor
    )
    services.start_cooldown(
        community=community,
        space=space,
        mode="read_only",
        ends_at=timezone.now() + timedelta(hours=1),
        actor=mod_actor,
        incident=incident,
    )
    step = run.steps.get(position=6)
    step.status = StepStatus.PROPOSED
    step.reason = "The space reads calm, but a member reported Proposals."
    step.save()
    client = client_for(moderator)
    page = client.get(room(incident)).content.decode()
    assert "Lift the cooldown now" in page and "Keep cooling" in page
    response = client.post(
        room(incident) + f"steps/{step.pk}/keep/", {"version": fresh(incident).version}, **HTMX
    )
    html = response.content.decode()
    assert _top_level(html)[0] == ("room-runbooks", False)
    assert "kept it cooling" in html
    assert incident.cooldowns.active().count() == 1
