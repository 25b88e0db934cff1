"""In a real browser: a moderator starts a game day (through the confirm step), the recording
is played, and the rehearsal's war room opens, marked as a rehearsal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from community.models import Community
from incidents.gamedays import services
from incidents.gamedays.models import GameDay
from incidents.models import Incident
from tests.conftest import PASSWORD, browser_login
from tests.gamedays.helpers import ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARK = "Rehearsal — nothing here touches the real community"


def test_a_moderator_starts_a_game_day_and_meets_the_rehearsal_war_room(
    browser_page: Any, community: Community, moderator: Any
) -> None:
    ready(community)
    page = browser_page
    browser_login(page, moderator.username, PASSWORD)
    page.goto(f"/c/{community.slug}/game-days/")
    page.get_by_label("Recorded flame war").select_option(index=0)
    page.get_by_label("Runbook to rehearse").select_option(label="Runbook A: Cool Down")
    page.get_by_label("Speed").select_option(label="60 times faster")
    page.get_by_role("button", name="Continue").click()
    assert "What will happen" in page.locator("#gd-confirm").inner_text()
    page.get_by_role("button", name="Start the rehearsal").click()
    page.wait_for_url("**/game-days/*/")
    assert MARK in page.locator("#gd-banner").inner_text()
    game_day = GameDay.objects.get()
    # The whole recording is due (as if its 72 minutes had passed at 60 times): one feed.
    GameDay.objects.filter(pk=game_day.pk).update(
        started_at=game_day.started_at - timedelta(minutes=2)
    )
    services.feed_game_day(game_day_id=game_day.pk)
    incident = Incident.objects.filter(community=game_day.sandbox).first()
    assert incident is not None  # the sandbox's clause alerted and declared it
    page.reload()
    page.get_by_role("link", name=incident.title).click()
    page.wait_for_url(f"**/c/{game_day.sandbox.slug}/incidents/{incident.pk}/")
    assert page.get_by_role("link", name=MARK).is_visible()
    assert not Incident.objects.filter(community=community).exists()
