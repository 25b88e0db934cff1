"""Error pages: our message in the site's layout with a way back; a fragment for htmx; JSON on
the API."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404
from django.test import Client, RequestFactory

from community.models import Community
from config import errors
from config import urls as root_urls
from tests.conftest import PASSWORD


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_a_403_shows_our_sentence_in_the_layout_with_a_way_back(
    community: Community, member: User
) -> None:
    # The settings page is for moderators: a member sees the community but not this.
    response = client_for(member).get("/c/garden/settings/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Only this community&#x27;s moderators can do that." in page
    assert 'rel="stylesheet"' in page and "Not yours to do here" in page
    assert '<a href="/c/garden/">Back to the community</a>' in page


def test_a_404_is_our_page_and_lists_no_urls(db: None) -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "There is nothing at this address" in page
    assert "URLconf" not in page and "api/v1" not in page
    assert '<a href="/">Back to the communities</a>' in page


def test_a_404_keeps_the_message_of_the_access_helper(community: Community, member: User) -> None:
    response = client_for(member).get("/c/garden/budgets/members/999999/")
    assert response.status_code == 404
    assert "Back to the communities" in response.content.decode()


def test_an_htmx_403_is_a_fragment_for_the_pages_error_region(
    community: Community, member: User
) -> None:
    response = client_for(member).get("/c/garden/settings/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#page-error"
    assert response["HX-Reswap"] == "innerHTML"
    fragment = response.content.decode().strip()
    assert fragment.startswith('<p class="msg error"') and "<html" not in fragment
    assert "Only this community&#x27;s moderators can do that." in fragment


def test_an_htmx_404_is_a_fragment_too(db: None) -> None:
    response = Client().get("/c/nowhere/", HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert response["HX-Retarget"] == "#page-error"
    assert "<html" not in response.content.decode()


def test_the_page_has_the_error_region_and_htmx_shows_403_404_and_409(db: None) -> None:
    # 409: the postmortem editor's "someone else changed this section" answer is shown too.
    page = Client().get("/").content.decode()
    assert '<div id="page-error" class="page-error" role="alert"></div>' in page
    assert '{"code": "40[0349]", "swap": true, "error": true}' in page


def test_an_unknown_api_address_answers_json(db: None) -> None:
    response = Client().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": errors.DEFAULTS[404]}


def test_a_generated_lookup_message_never_names_a_model() -> None:
    request = RequestFactory().get("/c/garden/x/")
    response = errors.page_not_found(request, Http404("No Appeal matches the given query."))
    assert "Appeal matches" not in response.content.decode()


def test_a_500_is_our_page_without_the_requests_context(db: None) -> None:
    assert root_urls.handler500 == "config.errors.server_error"
    response = errors.server_error(RequestFactory().get("/c/garden/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and 'rel="stylesheet"' in page
    assert '<a href="/">Back to the communities</a>' in page
