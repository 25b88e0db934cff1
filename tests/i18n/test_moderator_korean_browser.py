"""The moderator's triage in Korean, in a real browser: with the demo community's default set to
Korean, a moderator reads Needs you, declares an incident, takes the facilitator role, runs the
cool-down runbook (its first step starts a cooldown), opens the appeals queue and decides an
appeal. Every page on the way is checked for English words left in what a person
reads (text, ``title``, ``aria-label``, ``placeholder``, ``alt``).

What may stay in Latin letters is the community's own content (names, titles, what members and
moderators wrote, the records the demo wrote in English) and a short list of words that are not
English (``API``, ``UTC``, the product's name)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils.text import Truncator
from playwright.sync_api import expect

from budgets.models import Appeal, AppealStatus, Charge, Notice
from community import words
from community.models import Clause, Community, Membership, Space
from demo import context as demo
from incidents.models import Cooldown, Incident, IncidentReport, Runbook, StepRun, TimelineEntry
from tests.conftest import browser_login
from tests.demo_snapshot import build_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Not English: the product's name, abbreviations a Korean moderator reads as they are.
NOT_ENGLISH = {"Community", "SRE", "API", "UTC", "OpenSLO", "HTTP", "JSON", "URL"}

_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]")

_READABLE_TEXT = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
    for (const name of ['title', 'aria-label', 'placeholder', 'alt']) {
      const value = el.getAttribute(name);
      if (value) parts.push(value);
    }
  }
  for (const el of document.querySelectorAll('input[type=text], input:not([type]), textarea')) {
    if (el.value) parts.push(el.value);
  }
  return parts.join('\\n');
}"""


def _content(community: Community) -> list[str]:
    """The community's own words and records: shown as written, in whatever language."""
    texts: list[str] = [community.name, community.description, community.slug]
    texts += Space.objects.filter(community=community).values_list("name", flat=True)
    for m in Membership.objects.filter(community=community).select_related("user"):
        texts.append(m.display_name)
        if m.user is not None:
            texts.append(m.user.get_username())
    texts += Clause.objects.filter(community=community).values_list("title", flat=True)
    for inc in Incident.objects.filter(community=community):
        texts += [inc.title, inc.summary]
    for text, author_label in TimelineEntry.objects.filter(
        incident__community=community
    ).values_list("text", "author_label"):
        texts += [text, author_label]
    for message in IncidentReport.objects.filter(community=community).values_list(
        "message", flat=True
    ):
        texts += [message, Truncator(message).chars(240)]  # Needs you shows it shortened
    for rb in Runbook.objects.filter(community=community).prefetch_related("steps"):
        texts += [rb.name, rb.description, *(s.title for s in rb.steps.all())]
    for step in StepRun.objects.filter(run__incident__community=community):
        texts += [step.title, step.reason, step.error]
    for appeal in Appeal.objects.filter(community=community).select_related("charge__event"):
        texts += [appeal.statement, appeal.decision_reason]
        event = appeal.charge.event
        payload = event.payload if event is not None and isinstance(event.payload, dict) else {}
        if isinstance(payload.get("post_text"), str):  # the appealed post, as the forum sent it
            texts += payload["post_text"].splitlines()
    for reason in Charge.objects.filter(community=community).values_list("reason", flat=True):
        texts += [reason, words.without_post_ids(reason)]
    for notice in Notice.objects.filter(community=community):
        texts += [notice.title, notice.body]
    texts += [c.lift_reason for c in Cooldown.objects.filter(space__community=community)]
    return sorted({t for t in texts if t}, key=len, reverse=True)


def english_left(page: Any, community: Community) -> list[str]:
    """The English words on the page once the community's own content is taken out."""
    text = page.evaluate(_READABLE_TEXT)
    for piece in _content(community):
        # Whole words only: the username "mod" is content, the "mod" in a word is not.
        text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(piece)}(?![A-Za-z0-9_])", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    return sorted({w for w in _LATIN_WORD.findall(text) if w not in NOT_ENGLISH})


def assert_korean(page: Any, community: Community, where: str) -> None:
    page.wait_for_load_state()
    left = english_left(page, community)
    assert not left, f"English left on {where} ({page.url}): {left}"


def test_a_moderator_triages_in_korean(browser_page: Any) -> None:
    build_demo(log=lambda line: None)
    community = Community.objects.get(slug="demo")
    community.default_language = "ko"
    community.save()
    assert Appeal.objects.filter(community=community, status=AppealStatus.PENDING).exists()

    page = browser_page
    browser_login(page, demo.MODERATOR_USERNAME, demo.DEMO_PASSWORD)

    # Moderator home: Needs you.
    page.goto("/c/demo/")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name="확인이 필요한 일")).to_be_visible()
    assert_korean(page, community, "Needs you")

    # The incidents board, then declare an incident.
    page.get_by_role("navigation", name=community.name).get_by_role(
        "link", name="갈등 상황", exact=True
    ).click()
    expect(page.get_by_role("heading", name="갈등 상황", exact=True)).to_be_visible()
    assert_korean(page, community, "the incidents board")
    page.get_by_label("제목").fill("Growing Tips: the peat debate got heated")
    page.get_by_label("심각도").select_option("SEV3")
    page.get_by_label("공간").select_option(label="Growing Tips")
    page.get_by_role("button", name="선언하기", exact=True).click()
    expect(page.get_by_test_id("status")).to_have_text("선언됨")
    incident = Incident.objects.get(title__startswith="Growing Tips: the peat")
    assert_korean(page, community, "the war room")

    # Assign a facilitator: a moderator who offers the role to themselves has accepted it.
    me = Membership.objects.get(community=community, user__username=demo.MODERATOR_USERNAME)
    page.get_by_label("진행자").select_option(label=me.display_name)
    page.get_by_role("button", name="역할 제안하기").click()
    expect(page.get_by_test_id("facilitator")).to_have_text(me.display_name)
    expect(page.get_by_test_id("roles")).to_contain_text(f"진행자: {me.display_name}")
    assert_korean(page, community, "the war room with its facilitator")

    # Start the cool-down runbook: its first automated step starts a cooldown on the space.
    page.get_by_role("button", name="Runbook A: Cool Down 실행").click()
    expect(page.get_by_test_id("cooldowns")).to_contain_text("진행 중")
    expect(page.get_by_test_id("status")).to_have_text("누그러뜨리는 중")
    assert Cooldown.objects.active().filter(incident=incident).exists()
    assert_korean(page, community, "the war room with a cooldown")

    # The appeals queue, and a decision.
    page.goto("/c/demo/budgets/appeals/")
    expect(page.get_by_role("heading", name="이의 제기", exact=True)).to_be_visible()
    assert_korean(page, community, "the appeals queue")
    appeal = page.get_by_test_id("appeal").first
    appeal.get_by_label("차감 되돌림: 더 이상 계산되지 않아요").check()
    appeal.get_by_label("이유").fill("The flag was about a different post.")
    appeal.get_by_role("button", name="결정하기").click()
    decision = page.get_by_test_id("decision").first
    expect(decision).to_contain_text("The flag was about a different post.")
    assert Appeal.objects.filter(decision_reason="The flag was about a different post.").exists()
    assert_korean(page, community, "the appeals queue after a decision")

    # The war room still reads Korean when it comes back (its timeline holds the new steps).
    page.goto(incident.get_absolute_url())
    assert_korean(page, community, "the war room, reloaded")
