"""The member's journey in Korean, clicked through in a real browser: with the demo community's
default set to Korean, the member reads the contract, acknowledges it, opens their budget and
appeals a charge. No English word may be left on those pages, except the community's own words
(its name, clauses, charge reasons, people's names), "Community SRE" and "API"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from budgets.models import Appeal, Charge, Forgiveness
from community.contract.releases.models import Canary
from community.models import Community, ContractVersion, Membership, Space
from demo.context import DEMO_PASSWORD, MEMBER_USERNAME
from incidents.models import Incident
from tests.conftest import browser_login
from tests.demo_snapshot import build_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARGE = "A sharp reply to a newcomer in Growing Tips"
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]|[A-Za-z]")
ALWAYS_ALLOWED = {"Community", "SRE", "API", "UTC"}


def community_words(community: Community) -> set[str]:
    """Every Latin-letter word of the community's own content: names, clause titles and texts,
    version summaries and policies, charge reasons, spaces and people."""
    texts: list[str] = [community.name, community.description]
    for version in ContractVersion.objects.filter(contract__community=community):
        texts += [version.summary, version.preamble, version.published_by_name]
        texts += [str(text) for text in (version.policy or {}).values()]
        for clause in version.clauses:
            texts += [str(value) for value in clause.values() if isinstance(value, str)]
    # What moderators wrote when they started a trial, and the clauses it tries.
    for canary in Canary.objects.filter(community=community):
        texts.append(canary.summary)
        for clause in canary.clauses:
            texts += [str(value) for value in clause.values() if isinstance(value, str)]
    texts += list(Charge.objects.filter(community=community).values_list("reason", flat=True))
    texts += list(Space.objects.filter(community=community).values_list("name", flat=True))
    texts += list(
        Membership.objects.filter(community=community).values_list("display_name", flat=True)
    )
    texts += list(Appeal.objects.filter(community=community).values_list("statement", flat=True))
    # What moderators wrote: their decisions and the reasons a charge was forgiven.
    texts += list(
        Appeal.objects.filter(community=community).values_list("decision_reason", flat=True)
    )
    texts += list(Forgiveness.objects.filter(community=community).values_list("reason", flat=True))
    # The public summaries moderators wrote when a conversation settled.
    texts += list(
        Incident.objects.filter(community=community).values_list("resolution_summary", flat=True)
    )
    texts += list(
        User.objects.filter(memberships__community=community).values_list("username", flat=True)
    )
    return {word for text in texts for word in LATIN_WORD.findall(text or "")} | ALWAYS_ALLOWED


def english_left(page: Any, allowed: set[str]) -> list[str]:
    """Each English word left on the page, with the words around it (to find it)."""
    visible = page.locator("body").inner_text()
    return sorted(
        {
            visible[max(0, m.start() - 30) : m.end() + 30].replace("\n", " ")
            for m in LATIN_WORD.finditer(visible)
            if m.group() not in allowed
        }
    )


def test_the_member_journey_reads_entirely_in_korean(browser_page: Any) -> None:
    community = build_demo(log=lambda line: None, language="ko")
    allowed = community_words(community)
    page = browser_page
    browser_login(page, MEMBER_USERNAME, DEMO_PASSWORD)
    page.goto("/c/demo/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert english_left(page, allowed) == []

    # The contract, acknowledged in place.
    page.get_by_role("link", name="읽고 확인하기").click()
    page.wait_for_url(re.compile(r"/c/demo/contract/(#.*)?$"))
    expect(page.get_by_role("heading", name="우리의 커뮤니티 약속", level=1)).to_be_visible()
    # The clauses are written in Korean here; their English words are the translation.
    expect(
        page.get_by_role("heading", name=re.compile("적대하지 않고 의견 나누기"))
    ).to_be_visible()
    assert english_left(page, allowed) == []
    page.get_by_role("button", name=re.compile("확인했어요")).click()
    expect(page.get_by_text(re.compile("버전 3을\\(를\\) 확인했어요"))).to_be_visible()
    assert english_left(page, allowed) == []

    # The budget, explained in Korean, with dates in Korean.
    page.get_by_role("link", name="내 예산").first.click()
    page.wait_for_url("**/c/demo/my-budget/")
    expect(page.get_by_role("heading", name="내 용서 예산", level=1)).to_be_visible()
    assert re.search(r"\d{4}년 \d{1,2}월 \d{1,2}일", page.locator("main").inner_text())
    assert english_left(page, allowed) == []

    # An appeal of one charge, in place.
    row = page.get_by_role("row").filter(has_text=CHARGE)
    row.get_by_role("link", name="이의 제기").click()
    row.get_by_label("이 차감이 왜 잘못되었나요?").fill("I was welcoming them; it read badly.")
    allowed |= {"I", "was", "welcoming", "them", "it", "read", "badly"}
    assert english_left(page, allowed) == []
    row.get_by_role("button", name="이의 제기 보내기").click()
    expect(row.get_by_test_id("appeal-status")).to_have_text("이의 제기: 운영자를 기다리는 중")
    assert english_left(page, allowed) == []
    assert Appeal.objects.filter(statement__startswith="I was welcoming them").exists()

    # The status page and the notices are Korean too.
    page.get_by_role("link", name="상태", exact=True).first.click()
    expect(page.get_by_role("heading", name="커뮤니티 상태", level=1)).to_be_visible()
    assert english_left(page, allowed) == []
