"""The moderators' integrations page: connection, webhook URL, test result, mapping."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from community.models import Community, Space
from integrations.models import DiscourseConnection, ForumAction, WebhookDelivery
from integrations.webhooks.subscriptions import create_subscription
from tests.integrations.helpers import API_KEY, API_USER, FakeDiscourse

PAGE = "/c/garden/integrations/"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_is_for_moderators(
    community: Community, member: User, outsider: User, moderator: User
) -> None:
    assert Client().get(PAGE).status_code == 302  # to the login page
    assert logged_in(member).get(PAGE).status_code == 403
    assert logged_in(outsider).get(PAGE).status_code == 403
    assert logged_in(moderator).get(PAGE).status_code == 200


def test_a_members_only_community_is_not_found_for_outsiders(
    community: Community, outsider: User
) -> None:
    community.visibility = "members"
    community.save()
    assert logged_in(outsider).get(PAGE).status_code == 404


def test_the_nav_links_to_the_page_for_moderators_only(
    community: Community, member: User, moderator: User
) -> None:
    # Integrations sit inside Settings (at most six top-level items per role).
    assert PAGE in logged_in(moderator).get("/c/garden/settings/").content.decode()
    assert PAGE not in logged_in(member).get("/c/garden/").content.decode()


def test_connecting_shows_the_webhook_url_to_paste(
    community: Community, moderator: User, forum: FakeDiscourse
) -> None:
    client = logged_in(moderator)
    response = client.post(
        "/c/garden/integrations/discourse/",
        {
            "base_url": forum.url,
            "secret": "a-long-webhook-secret",
            "api_key": API_KEY,
            "api_username": API_USER,
        },
    )
    assert response.status_code == 302
    connection = DiscourseConnection.objects.get()
    assert (connection.base_url, connection.webhook_secret, connection.api_key) == (
        forum.url,
        "a-long-webhook-secret",
        API_KEY,
    )
    page = client.get(PAGE).content.decode()
    assert f"http://127.0.0.1:8000/integrations/discourse/{connection.pk}/" in page
    assert "a-long-webhook-secret" not in page and API_KEY not in page


def test_saving_again_without_secrets_keeps_them(
    community: Community, moderator: User, connection: DiscourseConnection
) -> None:
    logged_in(moderator).post(
        "/c/garden/integrations/discourse/",
        {"base_url": connection.base_url, "api_username": API_USER},
    )
    connection.refresh_from_db()
    assert connection.webhook_secret == "test-webhook-secret-123" and connection.api_key == API_KEY


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"base_url": "https://forum.example.org", "secret": "short"}, "at least 12"),
        ({"base_url": "https://forum.example.org", "secret": ""}, "at least 12"),
        (
            {"base_url": "not a url", "secret": "a-long-webhook-secret"},
            "“Forum address” needs a web address",
        ),
        (
            {
                "base_url": "https://forum.example.org",
                "secret": "a-long-webhook-secret",
                "api_key": "k",
            },
            "or neither",
        ),
    ],
)
def test_a_bad_connection_is_refused_and_stores_nothing(
    community: Community, moderator: User, data: dict[str, str], message: str
) -> None:
    client = logged_in(moderator)
    response = client.post("/c/garden/integrations/discourse/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    # Through htmx the form comes back as 200, so htmx swaps it in and the error is shown.
    swapped = client.post("/c/garden/integrations/discourse/", data, headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and message in swapped.content.decode()
    assert not DiscourseConnection.objects.exists()


def test_test_connection_shows_the_result(
    community: Community, moderator: User, connection: DiscourseConnection
) -> None:
    response = logged_in(moderator).post(
        "/c/garden/integrations/discourse/test/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="test-result"' in html and "Connected as system." in html


def test_the_mapping_form_maps_categories_and_severities(
    community: Community, moderator: User, connection: DiscourseConnection
) -> None:
    space = Space.objects.create(community=community, name="Proposals")
    response = logged_in(moderator).post(
        "/c/garden/integrations/discourse/mapping/",
        {
            "category_spaces": f"5 = {space.pk}",
            "flag_severities": "off_topic = minor\nspam = severe\ncustom = moderate",
        },
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.category_spaces == {"5": space.pk}
    assert connection.severity_for_flag("spam") == "severe"
    assert connection.severity_for_flag("something_new") == "moderate"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"category_spaces": "5 = 999999", "flag_severities": "spam = minor"}, "No space with id"),
        ({"category_spaces": "", "flag_severities": "spam = terrible"}, "Unknown severity"),
        ({"category_spaces": "five", "flag_severities": "spam = minor"}, "key = value"),
        (
            {"category_spaces": "x = 1", "flag_severities": "spam = minor"},
            "category ids are numbers",
        ),
    ],
)
def test_a_bad_mapping_is_refused_and_changes_nothing(
    community: Community,
    moderator: User,
    connection: DiscourseConnection,
    other_community: Community,
    data: dict[str, str],
    message: str,
) -> None:
    Space.objects.create(community=other_community, name="Not ours")
    client = logged_in(moderator)
    response = client.post("/c/garden/integrations/discourse/mapping/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    swapped = client.post(
        "/c/garden/integrations/discourse/mapping/", data, headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200 and message in swapped.content.decode()
    connection.refresh_from_db()
    assert connection.category_spaces == {} and connection.flag_severities["spam"] == "moderate"


def test_the_page_reads_in_a_bounded_number_of_queries(
    community: Community,
    moderator: User,
    connection: DiscourseConnection,
    django_assert_max_num_queries: Any,
) -> None:
    subscription = create_subscription(
        community=community, url="https://bot.example.org/h", secret="s" * 12, event_types=["*"]
    )
    import uuid

    for _ in range(15):
        WebhookDelivery.objects.create(
            subscription=subscription,
            event_id=uuid.uuid4(),
            event_type="incident.declared",
            body="{}",
        )
        ForumAction.objects.create(
            community=community,
            connection=connection,
            domain_event_id=uuid.uuid4(),
            action="slow_mode",
            method="PUT",
        )
    client = logged_in(moderator)
    with django_assert_max_num_queries(14):
        assert client.get(PAGE).status_code == 200
