"""A clause's title and text in each of the community's languages: written by its moderators,
shown to each reader in theirs, falling back to the clause's own words (docs/i18n.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from community.contract.services import ClauseInvalid, export_openslo, save_clause
from community.contract.translations import (
    remove_clause_translation,
    save_clause_translation,
    translation_rows,
)
from community.models import (
    AuditEntry,
    Clause,
    ClauseSnapshot,
    ClauseTranslation,
    Community,
    PersonalSettings,
)
from community.models.translations import words_in
from incidents.needs_you import ClausesInTrouble
from tests.conftest import api_client_for
from tests.contract.helpers import HOSTILITY, published_clause
from tests.operations.helpers import export_doc

pytestmark = pytest.mark.django_db

KO_TITLE = "적대하지 않고 의견 나누기"
KO_TEXT = "사람이 아니라 생각을 두고 이야기해요."


def reader(user: User, language: str) -> Client:
    PersonalSettings.objects.update_or_create(user=user, defaults={"language": language})
    client = Client()
    client.force_login(user)
    return client


def korean(clause: Clause, title: str = KO_TITLE, text: str = KO_TEXT) -> ClauseTranslation:
    row = save_clause_translation(clause=clause, language="ko", title=title, text=text)
    assert row is not None
    return row


# --- The rule ---------------------------------------------------------------------------


def test_a_reader_gets_their_languages_words_else_the_clauses_own(community: Community) -> None:
    clause = published_clause(community)
    korean(clause)
    clause = Clause.objects.prefetch_related("translations").get(pk=clause.pk)
    assert clause.language == "en"
    assert clause.words_in("ko").title == KO_TITLE
    assert clause.words_in("ko").wording_language == "ko"
    assert clause.words_in("en").title == HOSTILITY.title
    assert clause.words_in("ko-KR").title == KO_TITLE
    with translation.override("ko"):
        assert clause.title_in() == KO_TITLE
    with translation.override("en"):
        assert clause.title_in() == HOSTILITY.title


def test_a_title_without_text_shows_the_clauses_own_text_marked_as_its_language(
    community: Community,
) -> None:
    clause = published_clause(community)
    korean(clause, text="")
    words = Clause.objects.get(pk=clause.pk).words_in("ko")
    assert (words.title, words.title_language) == (KO_TITLE, "ko")
    assert (words.wording, words.wording_language) == (HOSTILITY.wording, "en")


def test_no_translation_falls_back_to_the_clauses_own_words() -> None:
    words = words_in(
        title="Own", wording="Own words", own_language="en", translations=[], language="ko"
    )
    assert (words.title, words.wording, words.title_language) == ("Own", "Own words", "en")


def test_a_clause_is_written_in_the_communitys_language_of_the_time(community: Community) -> None:
    community.default_language = "ko"
    community.save()
    clause = save_clause(community=community, definition=HOSTILITY)
    assert clause.language == "ko"
    assert [row.language for row in translation_rows(clause)] == ["en"]


# --- The service: what it refuses -------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "text", "field"),
    [
        ("fr", KO_TITLE, KO_TEXT, "language"),
        ("en", "Own", "The clause's own language", "language"),
        ("ko", "", KO_TEXT, "title"),
        ("ko", "가" * 201, "", "title"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    community: Community, language: str, title: str, text: str, field: str
) -> None:
    clause = published_clause(community)
    with pytest.raises(ClauseInvalid) as refused:
        save_clause_translation(clause=clause, language=language, title=title, text=text)
    assert [f for f, _message in refused.value.errors] == [field]
    assert not ClauseTranslation.objects.exists()


def test_saving_again_corrects_and_saving_nothing_removes(community: Community) -> None:
    clause = published_clause(community)
    korean(clause)
    korean(clause, title="의견이 달라도 적대하지 않기")
    assert ClauseTranslation.objects.get().title == "의견이 달라도 적대하지 않기"
    assert save_clause_translation(clause=clause, language="ko", title=" ", text="") is None
    assert not ClauseTranslation.objects.exists()
    assert remove_clause_translation(clause=clause, language="ko") is False


def test_the_editor_says_when_the_clause_changed_since_its_translation(
    community: Community,
) -> None:
    clause = published_clause(community)
    korean(clause)
    assert [row.stale for row in translation_rows(clause)] == [False]
    clause = save_clause(
        community=community,
        clause=clause,
        definition=replace(HOSTILITY, wording="Argue with ideas. Never with people."),
    )
    assert [row.stale for row in translation_rows(clause)] == [True]


# --- Pages ------------------------------------------------------------------------------


def test_a_korean_member_reads_the_korean_title_and_an_english_member_the_english(
    community: Community, member: User, moderator: User
) -> None:
    clause = published_clause(community)
    korean(clause)
    page = reader(member, "ko").get(f"/c/{community.slug}/contract/").content.decode()
    assert KO_TITLE in page and KO_TEXT in page
    assert HOSTILITY.title not in page
    assert f'<span lang="ko">{KO_TITLE}</span>' in page
    english = reader(moderator, "en").get(f"/c/{community.slug}/contract/").content.decode()
    assert HOSTILITY.title in english and KO_TITLE not in english


def test_without_a_translation_a_korean_member_reads_the_clauses_own_words(
    community: Community, member: User
) -> None:
    published_clause(community)
    page = reader(member, "ko").get(f"/c/{community.slug}/contract/").content.decode()
    assert f'<span lang="en">{HOSTILITY.title}</span>' in page
    assert HOSTILITY.wording in page


def test_a_published_version_shows_the_translation_too(community: Community, member: User) -> None:
    clause = published_clause(community)
    korean(clause)
    page = reader(member, "ko").get(f"/c/{community.slug}/contract/versions/1/")
    assert KO_TITLE in page.content.decode()


def test_a_moderator_adds_a_translation_to_a_published_clause_and_the_audit_log_keeps_it(
    community: Community, moderator: User, member: User
) -> None:
    clause = published_clause(community)
    client = reader(moderator, "en")
    editor = client.get(f"/c/{community.slug}/contract/clauses/{clause.pk}/").content.decode()
    assert 'id="translation-ko"' in editor and 'name="ko-title"' in editor
    url = f"/c/{community.slug}/contract/clauses/{clause.pk}/translations/ko/"
    response = client.post(
        url, {"ko-title": KO_TITLE, "ko-text": KO_TEXT}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<form id="translation-ko"') and "Saved." in body
    assert ClauseTranslation.objects.get(clause=clause).title == KO_TITLE
    entry = AuditEntry.objects.get(action="contract:clause-translation")
    assert entry.username == moderator.username
    assert entry.target == {"slug": community.slug, "pk": str(clause.pk), "language": "ko"}
    assert KO_TITLE in reader(member, "ko").get(f"/c/{community.slug}/contract/").content.decode()


def test_the_editor_form_refuses_a_text_without_a_title_and_saves_nothing(
    community: Community, moderator: User
) -> None:
    clause = published_clause(community)
    client = reader(moderator, "en")
    url = f"/c/{community.slug}/contract/clauses/{clause.pk}/translations/ko/"
    response = client.post(url, {"ko-title": "", "ko-text": KO_TEXT})
    assert response.status_code == 422
    assert "Give the title in this language too." in response.content.decode()
    too_long = client.post(url, {"ko-title": "가" * 201, "ko-text": ""})
    assert too_long.status_code == 422
    assert not ClauseTranslation.objects.exists()


def test_the_editor_refuses_the_clauses_own_language(community: Community, moderator: User) -> None:
    clause = published_clause(community)
    url = f"/c/{community.slug}/contract/clauses/{clause.pk}/translations/en/"
    response = reader(moderator, "en").post(
        url, {"en-title": "Other", "en-text": ""}, headers={"HX-Request": "true"}
    )
    assert "This is the clause" in response.content.decode()
    assert not ClauseTranslation.objects.exists()


def test_a_member_cannot_write_a_translation(community: Community, member: User) -> None:
    clause = published_clause(community)
    url = f"/c/{community.slug}/contract/clauses/{clause.pk}/translations/ko/"
    response = reader(member, "ko").post(url, {"ko-title": "x"})
    assert response.status_code == 403
    assert not ClauseTranslation.objects.exists()


def test_needs_you_quotes_the_clause_in_the_moderators_language(
    community: Community,
) -> None:
    clause = published_clause(community)
    korean(clause)
    now = timezone.now()
    ClauseSnapshot.objects.create(
        clause=clause,
        scope="",
        bucket=now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1),
        computed_at=now,
        total=100,
        bad=9,
        sli=Decimal("0.91"),
        allowed_bad=Decimal("2"),
        budget_remaining=Decimal("-3.5"),
        tier="exhausted",
    )
    source = ClausesInTrouble()
    with translation.override("ko"):
        (item,) = source.items(community, source.waiting(community))
    assert KO_TITLE in str(item.title)
    with translation.override("en"):
        (item,) = source.items(community, source.waiting(community))
    assert HOSTILITY.title in str(item.title)


# --- API --------------------------------------------------------------------------------


def test_the_api_reads_a_clause_in_the_language_asked_for(community: Community) -> None:
    clause = published_clause(community)
    korean(clause)
    reader_key = api_client_for(community, "read")
    english = reader_key.get(f"/api/v1/clauses/{clause.pk}/").json()
    assert (english["title"], english["language"], english["title_language"]) == (
        HOSTILITY.title,
        "en",
        "en",
    )
    assert "translations" not in english, "only moderators see every translation"
    asked = reader_key.get(f"/api/v1/clauses/{clause.pk}/?lang=ko").json()
    assert (asked["title"], asked["wording"], asked["wording_language"]) == (
        KO_TITLE,
        KO_TEXT,
        "ko",
    )
    assert asked["definition"]["title"] == HOSTILITY.title, "the definition keeps its own words"
    listed = reader_key.get("/api/v1/clauses/?lang=ko").json()
    assert [row["title"] for row in listed] == [KO_TITLE]
    community.default_language = "ko"
    community.save()
    assert reader_key.get(f"/api/v1/clauses/{clause.pk}/").json()["title"] == KO_TITLE


def test_the_api_refuses_a_language_it_does_not_have_naming_the_parameter(
    community: Community,
) -> None:
    clause = published_clause(community)
    response = api_client_for(community, "read").get(f"/api/v1/clauses/{clause.pk}/?lang=xx")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["lang"]


def test_a_moderate_key_writes_and_removes_a_translation(community: Community) -> None:
    clause = published_clause(community)
    key = api_client_for(community, "read", "moderate")
    url = f"/api/v1/clauses/{clause.pk}/translations/ko/"
    response = key.put(url, {"title": KO_TITLE, "text": KO_TEXT}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == KO_TITLE
    assert body["translations"]["ko"]["text"] == KO_TEXT
    assert AuditEntry.objects.filter(action="api:clause-translation", method="PUT").exists()
    assert key.delete(url).status_code == 204
    assert not ClauseTranslation.objects.exists()


@pytest.mark.parametrize(
    ("lang", "body", "field"),
    [
        ("xx", {"title": KO_TITLE}, "lang"),
        ("en", {"title": "Own"}, "lang"),
        ("ko", {"title": "", "text": KO_TEXT}, "title"),
        ("ko", {"title": "가" * 201}, "title"),
        ("ko", {"text": KO_TEXT}, "title"),
    ],
)
def test_the_api_refuses_bad_input_naming_the_field(
    community: Community, lang: str, body: dict[str, str], field: str
) -> None:
    clause = published_clause(community)
    key = api_client_for(community, "read", "moderate")
    response = key.put(f"/api/v1/clauses/{clause.pk}/translations/{lang}/", body, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not ClauseTranslation.objects.exists()


def test_a_read_key_cannot_write_a_translation(community: Community) -> None:
    clause = published_clause(community)
    response = api_client_for(community, "read").put(
        f"/api/v1/clauses/{clause.pk}/translations/ko/", {"title": KO_TITLE}, format="json"
    )
    assert response.status_code == 403
    assert not ClauseTranslation.objects.exists()


# --- Export, import and OpenSLO ------------------------------------------------------------


def test_translations_travel_with_an_export_and_import(
    community: Community, tmp_path: Path
) -> None:
    clause = published_clause(community)
    korean(clause)
    doc = export_doc(community)
    (row,) = doc["tables"]["community.clausetranslation"]
    assert (row["language"], row["title"]) == ("ko", KO_TITLE)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    call_command("import_community", str(path), slug="copy", stdout=StringIO())
    copy = Clause.objects.get(community__slug="copy")
    assert copy.pk != clause.pk and copy.language == "en"
    assert copy.words_in("ko").title == KO_TITLE
    assert copy.words_in("ko").wording == KO_TEXT


def test_openslo_exports_the_clauses_own_words_whoever_reads(community: Community) -> None:
    clause = published_clause(community)
    korean(clause)
    with translation.override("ko"):
        document = yaml.safe_load(export_openslo(clause=clause))
    assert document["metadata"]["displayName"] == HOSTILITY.title
    assert document["spec"]["description"] == HOSTILITY.wording
