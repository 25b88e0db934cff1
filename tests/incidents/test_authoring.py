"""Moderators write runbooks in the app: ordered steps, checked configuration, conditions."""

from __future__ import annotations

import pytest
from django.test import Client

from community.services import ServiceError
from incidents import services
from incidents.models import Runbook, RunbookStep
from tests.incidents.test_pages import client_for

URL = "/c/garden/incidents/runbooks/"


def test_a_moderator_writes_a_runbook_step_by_step(community, moderator) -> None:
    client = client_for(moderator)
    response = client.post(URL, {"name": "Runbook C: Newcomers", "description": "Be kind"})
    runbook = Runbook.objects.get()
    assert response.status_code == 302
    base = f"{URL}{runbook.pk}/"
    client.post(
        base + "add-step/",
        {
            "title": "Slow mode for an hour",
            "kind": "start_cooldown",
            "duration_minutes": 60,
            "mode": "slow_mode",
            "slow_mode_seconds": 30,
            "only_space_kinds": ["topic"],
        },
    )
    client.post(base + "add-step/", {"title": "Welcome them", "kind": "checklist"})
    steps = list(runbook.steps.order_by("position"))
    assert [(s.position, s.kind) for s in steps] == [(1, "start_cooldown"), (2, "checklist")]
    assert steps[0].config == {"duration_minutes": 60, "mode": "slow_mode", "slow_mode_seconds": 30}
    assert steps[0].only_space_kinds == ["topic"]
    page = client.get(URL).content.decode()
    assert "Slow mode for an hour" in page and "only in a topic" in page
    client.post(base + "retire/")
    assert not Runbook.objects.get().is_active
    client.post(f"{base}steps/{steps[1].pk}/remove-step/")
    assert runbook.steps.count() == 1


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"duration_minutes": 60 * 48}, "at most 1440 minutes"),
        ({"duration_minutes": -5}, "more than zero"),
        ({"mode": "ban"}, "slow mode or read-only"),
        ({"slow_mode_seconds": 10**6}, "at most"),
    ],
)
def test_a_bad_step_is_refused_and_adds_nothing(community, config, message) -> None:
    runbook = services.create_runbook(community=community, name="R", description="", by=None)
    with pytest.raises(ServiceError, match=message):
        services.add_runbook_step(
            runbook=runbook, title="Cool", kind="start_cooldown", config=config
        )
    assert not RunbookStep.objects.exists()


def test_duplicate_names_and_unknown_conditions_are_refused(community) -> None:
    runbook = services.create_runbook(community=community, name="R", description="", by=None)
    with pytest.raises(ServiceError, match="already exists"):
        services.create_runbook(community=community, name="R", description="", by=None)
    with pytest.raises(ServiceError, match="Unknown condition"):
        services.add_runbook_step(
            runbook=runbook, title="x", kind="checklist", config={}, only_severities=["SEV0"]
        )


def test_only_moderators_author_runbooks(community, member, other_moderator) -> None:
    runbook = services.create_runbook(community=community, name="R", description="", by=None)
    assert client_for(member).post(URL, {"name": "Mine"}).status_code == 403
    step = {"title": "x", "kind": "checklist"}
    assert client_for(member).post(f"{URL}{runbook.pk}/add-step/", step).status_code == 403
    assert client_for(other_moderator).post(f"{URL}{runbook.pk}/add-step/", step).status_code == 403
    assert Client().post(f"{URL}{runbook.pk}/add-step/", step).status_code == 302
    assert Runbook.objects.count() == 1
    assert not RunbookStep.objects.exists()


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("post_notice", "Hello {facilitatr}", r"does not know \{facilitatr\}"),
        ("notify_parties", "Hello {space}", r"can mention \{name\}, \{facilitator\}"),
    ],
)
def test_a_notice_text_with_an_unknown_placeholder_is_refused_when_saved(
    community, kind: str, text: str, message: str
) -> None:
    runbook = services.create_runbook(community=community, name="R", description="", by=None)
    with pytest.raises(ServiceError, match=message):
        services.add_runbook_step(runbook=runbook, title="Say", kind=kind, config={"text": text})
    assert not RunbookStep.objects.exists()


def test_a_notice_text_with_known_placeholders_and_plain_braces_is_saved(community) -> None:
    runbook = services.create_runbook(community=community, name="R", description="", by=None)
    step = services.add_runbook_step(
        runbook=runbook,
        title="Say",
        kind="post_notice",
        config={"text": "{facilitator} is here until {ends_at} :-{"},
    )
    assert step.config == {"text": "{facilitator} is here until {ends_at} :-{"}


def test_removing_a_step_and_retiring_a_runbook_confirm_and_say_what_happens(
    community, moderator
) -> None:
    runbook = services.create_runbook(community=community, name="Calm", description="", by=None)
    services.add_runbook_step(runbook=runbook, title="Welcome them", kind="checklist", config={})
    page = client_for(moderator).get(URL).content.decode()
    remove = page.split('<details class="confirm">', 2)[1]
    assert "<summary>Remove…</summary>" in remove
    assert "runs started from now on skip it" in remove and "Remove this step" in remove
    retire = page.split("<summary>Retire this runbook…</summary>", 1)[1].split("</details>")[0]
    assert "can no longer be started on an incident" in retire
    assert "Retire “Calm”" in retire
