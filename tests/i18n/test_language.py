"""Which language a person reads (community.language): their own choice, else their browser's
where the community allows it, else the community's default, else English."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from community.language import CommunityLanguage, browser_language, resolve
from community.models import Community, PersonalSettings
from tests.conftest import api_client_for

KOREAN = CommunityLanguage(default="ko", allow_browser=False)
OPEN_KOREAN = CommunityLanguage(default="ko", allow_browser=True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ko-KR,ko;q=0.9,en;q=0.8", "ko"),
        ("en-US,en;q=0.5,ko;q=0.9", "en"),
        ("en;q=0.5,ko;q=0.9", "ko"),
        ("fr,de;q=0.8", None),
        ("fr,ko;q=0.1", "ko"),
        ("ko;q=0", None),
        ("*", None),
        ("", None),
        ("en;q=nonsense,ko", "ko"),
    ],
)
def test_the_browser_language_is_the_first_we_have_by_weight(
    header: str, expected: str | None
) -> None:
    assert browser_language(header) == expected


def test_a_person_s_own_choice_comes_first() -> None:
    assert resolve(personal="en", community=OPEN_KOREAN, accept_language="ko") == "en"


def test_the_browser_counts_only_where_the_community_allows_it() -> None:
    assert resolve(personal=None, community=KOREAN, accept_language="en-US") == "ko"
    assert resolve(personal=None, community=OPEN_KOREAN, accept_language="en-US") == "en"
    assert resolve(personal=None, community=OPEN_KOREAN, accept_language="fr") == "ko"


def test_outside_a_community_the_browser_then_english() -> None:
    assert resolve(personal=None, community=None, accept_language="ko-KR") == "ko"
    assert resolve(personal=None, community=None, accept_language="fr") == "en"


def _lang(html: str) -> str:
    start = html.index('<html lang="') + len('<html lang="')
    return html[start : html.index('"', start)]


def test_a_korean_community_s_pages_are_korean_for_a_visitor(community: Community) -> None:
    community.default_language = "ko"
    community.save()
    response = Client(headers={"Accept-Language": "en-US"}).get("/c/garden/contract/")
    assert response.status_code == 200
    assert _lang(response.content.decode()) == "ko"
    assert response["Content-Language"] == "ko"
    assert "Accept-Language" in response["Vary"]


def test_a_member_s_own_choice_wins_over_the_community_default(
    community: Community, member: User
) -> None:
    community.default_language = "ko"
    community.save()
    PersonalSettings.objects.create(user=member, language="en")
    client = Client()
    client.force_login(member)
    assert _lang(client.get("/c/garden/contract/").content.decode()) == "en"


def test_a_member_who_chose_korean_reads_korean_everywhere(
    community: Community, member: User
) -> None:
    PersonalSettings.objects.create(user=member, language="ko")
    client = Client()
    client.force_login(member)
    assert _lang(client.get("/c/garden/contract/").content.decode()) == "ko"
    assert _lang(client.get("/").content.decode()) == "ko"


def test_a_browser_language_applies_where_the_community_allows_it(community: Community) -> None:
    korean_browser = Client(headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert _lang(korean_browser.get("/c/garden/contract/").content.decode()) == "en"
    community.allow_browser_language = True
    community.save()
    assert _lang(korean_browser.get("/c/garden/contract/").content.decode()) == "ko"
    assert _lang(korean_browser.get("/").content.decode()) == "ko"


def test_error_pages_say_their_language(community: Community) -> None:
    community.default_language = "ko"
    community.save()
    response = Client().get("/c/garden/no-such-page/")
    assert response.status_code == 404
    assert _lang(response.content.decode()) == "ko"
    assert _lang(Client().get("/no-such-page/").content.decode()) == "en"


def test_the_api_answers_in_the_key_s_community_language(community: Community) -> None:
    community.default_language = "ko"
    community.save()
    response = api_client_for(community, "read").get("/api/v1/members/999999/ledger/")
    assert response.status_code == 404
    assert response["Content-Language"] == "ko"
    # Without a key nothing names a community: the browser's language, else English.
    anonymous = Client().get("/api/v1/members/", headers={"Accept-Language": "ko"})
    assert anonymous.status_code == 401
    assert anonymous["Content-Language"] == "ko"


def test_a_member_chooses_their_language_on_their_preferences_page(
    community: Community, member: User
) -> None:
    client = Client()
    client.force_login(member)
    url = "/c/garden/notifications/preferences/"
    page = client.get(url).content.decode()
    assert "Language" in page and "한국어" in page
    response = client.post(url, {"language": "ko"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert _lang(html) == "ko"
    assert "저장했어요. 새 알림부터 이 선택을 따라요." in html
    assert PersonalSettings.objects.get(user=member).language == "ko"
    # Back to the community's language.
    client.post(url, {"language": ""})
    assert PersonalSettings.objects.get(user=member).language == ""
    assert _lang(client.get(url).content.decode()) == "en"


def test_a_language_we_do_not_have_is_refused_and_nothing_changes(
    community: Community, member: User
) -> None:
    client = Client()
    client.force_login(member)
    response = client.post("/c/garden/notifications/preferences/", {"language": "fr"})
    assert response.status_code == 400
    assert "Choose one of the options offered for “Language”." in response.content.decode()
    assert not PersonalSettings.objects.filter(user=member).exists()


def test_a_moderator_sets_the_community_s_language(
    community: Community, moderator: User, member: User
) -> None:
    client = Client()
    client.force_login(moderator)
    url = "/c/garden/settings/language/"
    response = client.post(url, {"default_language": "ko", "allow_browser_language": "on"})
    assert response.status_code == 302
    community.refresh_from_db()
    assert (community.default_language, community.allow_browser_language) == ("ko", True)
    # A member who chose nothing now reads Korean.
    reader = Client()
    reader.force_login(member)
    assert _lang(reader.get("/c/garden/").content.decode()) == "ko"
    refused = client.post(url, {"default_language": "xx"})
    assert refused.status_code == 400
    community.refresh_from_db()
    assert community.default_language == "ko"
    # Members cannot change it.
    assert reader.post(url, {"default_language": "en"}).status_code == 403
    community.refresh_from_db()
    assert community.default_language == "ko"
