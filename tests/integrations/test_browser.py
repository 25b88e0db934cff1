"""The integrations page in a real browser: connect a forum, test it, all through htmx."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from community.models import Community
from integrations.models import DiscourseConnection
from tests.conftest import PASSWORD, browser_login
from tests.integrations.helpers import API_KEY, API_USER, FakeDiscourse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_moderator_connects_a_forum_and_tests_it(
    browser_page: Any, community: Community, moderator: User, forum: FakeDiscourse
) -> None:
    page = browser_page
    browser_login(page, moderator.username, PASSWORD)
    page.goto("/c/garden/")
    page.get_by_role("link", name="Settings", exact=True).click()  # integrations sit inside
    page.get_by_role("link", name="Integrations", exact=True).click()
    page.wait_for_url("**/c/garden/integrations/")
    page.get_by_label("Forum address").fill(forum.url)
    page.get_by_label("Webhook secret").fill("a-long-webhook-secret")
    page.get_by_label("API key").fill(API_KEY)
    page.get_by_label("Acts as (username)").fill(API_USER)
    page.get_by_role("button", name="Connect").click()
    url = page.get_by_test_id("webhook-url").inner_text()
    connection = DiscourseConnection.objects.get()
    assert url.endswith(f"/integrations/discourse/{connection.pk}/")
    page.get_by_role("button", name="Test connection").click()
    assert "Connected as system." in page.get_by_test_id("test-result").inner_text()
    assert page.url.endswith("/c/garden/integrations/")  # swapped in place by htmx
