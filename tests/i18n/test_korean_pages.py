"""The moderator's other pages in Korean, without a browser: with the demo community's default set
to Korean, the boards (flow, change safety, fairness by both groupings), the releases (the list,
a version's release health, the spokescouncil, each trial), the replays (the list, the form,
each kept replay and its dismissal) and the game days (the list, each game day) are fetched as
the demo moderator. Each page's visible text (tags taken out; ``title``, ``aria-label``,
``placeholder`` and ``alt`` kept) must hold no English word once the community's own content
and the records written once in English are taken out."""

from __future__ import annotations

import html
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from budgets.models import PolicyVersion
from community import words
from community.contract.releases.models import Answer, Canary, CanaryEntry, CouncilGroup
from community.contract.replay.models import Replay
from community.models import Community, ConductEvent, ContractVersion
from demo.context import DEMO_SLUG, MODERATOR_USERNAME
from incidents.gamedays.models import GameDay
from incidents.models import Incident
from tests.i18n.test_moderator_korean_browser import NOT_ENGLISH, _content

pytestmark = pytest.mark.django_db(transaction=True)

# Beside the product's name and the abbreviations: the file format offered for download, and
# "none", the word a moderator types into the replay form for a fixed allowance.
ALLOWED = NOT_ENGLISH | {"CSV", "none"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]")
ATTRIBUTE = re.compile(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"')


def _records(community: Community) -> list[str]:
    """Words the community wrote, or the product wrote once as a record (a trial's timeline and
    verdict, a game day's end), beside the content the triage test already takes out."""
    texts = list(_content(community))
    for version in ContractVersion.objects.filter(contract__community=community):
        texts.append(version.summary)
        texts += [str(clause.get("title", "")) for clause in version.clauses]
    texts += PolicyVersion.objects.filter(community=community).values_list("note", flat=True)
    for group in CouncilGroup.objects.filter(council__community=community):
        texts.append(group.name)
    for answer in Answer.objects.filter(council__community=community):
        texts += [answer.reason, answer.delegate_name]
    for canary in Canary.objects.filter(community=community):
        texts += [canary.summary, canary.outcome]
        texts += [str(f.get("words", "")) for f in canary.last_verdict.get("findings", [])]
        texts += [c.get("title", "") for c in canary.clauses if isinstance(c, dict)]
    texts += CanaryEntry.objects.filter(canary__community=community).values_list("words", flat=True)
    for replay in Replay.objects.filter(community=community):
        if replay.definition:
            texts.append(str(replay.definition.get("title", "")))
    for game_day in GameDay.objects.filter(community=community):
        texts += [game_day.runbook_name, game_day.recording_title, game_day.stop_reason]
        if game_day.sandbox_id:
            texts += Incident.objects.filter(community_id=game_day.sandbox_id).values_list(
                "title", flat=True
            )
    # Flag categories the forum named itself: a known one is put into words, another is shown
    # as the forum wrote it.
    categories = ConductEvent.objects.filter(community=community).values_list("category", flat=True)
    texts += [c for c in set(categories) if c and words.flag_category(c) == c]
    return sorted({t for t in texts if t}, key=len, reverse=True)


def _visible_text(page: str) -> str:
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    attributes = ATTRIBUTE.findall(page)
    text = re.sub(r"(?s)<[^>]+>", " ", page)
    return html.unescape(" ".join([text, *attributes]))


def english_left(page: str, records: list[str]) -> list[str]:
    text = _visible_text(page)
    for piece in records:
        text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(piece)}(?![A-Za-z0-9_])", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    return sorted({w for w in LATIN_WORD.findall(text) if w not in ALLOWED})


def _pages(community: Community) -> list[str]:
    slug = community.slug
    pages = [
        reverse("boards:flow", args=[slug]),
        reverse("boards:change", args=[slug]),
        reverse("boards:fairness", args=[slug]),
        reverse("boards:fairness", args=[slug]) + "?by=trust_level",
        reverse("releases:index", args=[slug]),
        reverse("releases:health", args=[slug, 2]),
        reverse("releases:council", args=[slug]),
        reverse("replay:list", args=[slug]),
        reverse("replay:new", args=[slug]),
        reverse("gamedays:index", args=[slug]),
    ]
    pages += [
        reverse("releases:canary", args=[slug, pk])
        for pk in Canary.objects.filter(community=community).values_list("pk", flat=True)
    ]
    for pk in Replay.objects.filter(community=community).values_list("pk", flat=True):
        pages += [
            reverse("replay:detail", args=[slug, pk]),
            reverse("replay:dismiss", args=[slug, pk]),
        ]
    pages += [
        reverse("gamedays:detail", args=[slug, pk])
        for pk in GameDay.objects.filter(community=community).values_list("pk", flat=True)
    ]
    return pages


def test_the_boards_releases_replays_and_game_days_read_in_korean() -> None:
    call_command("seed_demo", stdout=StringIO())
    community = Community.objects.get(slug=DEMO_SLUG)
    community.default_language = "ko"
    community.save()
    # The demo holds what these pages show: trials, kept replays (a clause and a policy) and
    # game days, so no part of a page is left out for being empty.
    assert Canary.objects.filter(community=community).count() >= 2
    assert Replay.objects.filter(community=community).count() >= 2
    assert GameDay.objects.filter(community=community).exists()

    client = Client()
    client.force_login(get_user_model().objects.get(username=MODERATOR_USERNAME))
    records = _records(community)
    found = {}
    for url in _pages(community):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert '<html lang="ko"' in page, url
        left = english_left(page, records)
        if left:
            found[url] = left
    assert found == {}
