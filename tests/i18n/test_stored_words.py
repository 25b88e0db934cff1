"""Words the system stores for people are written once, in the community's default language at
the time they are stored, whatever language the person acting reads: the postmortem's entries
on the incident's timeline, the blameless check's suggestions, a member pause's reason, the
times of the postmortem draft's timeline, a clause alert's report on the board. The
community's own words in them (an incident's title) stay as written, and an entry keeps its
language when the community's default changes later."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.utils import translation

from budgets.member_cooldowns import lifted_words, pause_reason
from community.domain_events import dispatch_pending, record_domain_event
from community.models import Community, Membership, Space
from incidents.models import IncidentReport, TimelineEntry, TimelineKind
from incidents.postmortems import services as postmortems
from incidents.postmortems.models import BlamelessFinding
from tests.postmortems.helpers import resolved_incident, section, write

pytestmark = pytest.mark.django_db


def _korean(community: Community) -> None:
    community.default_language = "ko"
    community.save()


def test_the_postmortem_s_timeline_entries_are_written_in_the_community_s_language(
    community: Community, moderator: User, member_membership: Membership
) -> None:
    _korean(community)
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    incident = resolved_incident(
        community=community, space=space, moderator=moderator, parties=[member_membership]
    )
    with translation.override("en"):  # the moderator reads English
        doc = postmortems.start_postmortem(incident=incident, by=moderator)
        write(doc, "summary", "A vote thread escalated; a slow mode calmed it.")
        write(doc, "contributing_factors", "It was his fault, and he should have known.")
        for finding in BlamelessFinding.objects.filter(postmortem=doc):
            postmortems.acknowledge_finding(finding=finding, note="Quoted as said.", by=None)
        doc.refresh_from_db()
        postmortems.request_review(postmortem=doc, expected_version=None, by=None)
    # The draft's first words: the timeline quoted with Korean times (its entries as written).
    timeline = section(doc, "timeline").body.splitlines()
    assert timeline and all(re.match(r"\d+월 \d+일 \d\d:\d\d UTC · ", line) for line in timeline)
    entries = dict(
        TimelineEntry.objects.filter(
            incident=incident, kind__in=[TimelineKind.PM_STARTED, TimelineKind.PM_REVIEW]
        ).values_list("kind", "text")
    )
    assert entries[TimelineKind.PM_STARTED].startswith("회복적 돌아보기를 시작했어요. 마감은 ")
    assert "월" in entries[TimelineKind.PM_STARTED]
    assert entries[TimelineKind.PM_REVIEW] == "회복적 돌아보기를 검토에 보냈어요."
    review = TimelineEntry.objects.get(incident=incident, kind=TimelineKind.PM_REVIEW)
    assert review.author_label == "회복적 돌아보기"
    suggestions = set(  # for “his fault” and “should have known”
        BlamelessFinding.objects.filter(postmortem=doc).values_list("suggestion", flat=True)
    )
    assert any(s.startswith("누구의 잘못인지 대신") for s in suggestions)
    assert any(s.startswith("지나고 나서 보이는 것이에요.") for s in suggestions)
    assert not any("instead of" in s or "Hindsight" in s for s in suggestions)
    # Written once: a later change of the community's default leaves them as they were.
    community.default_language = "en"
    community.save()
    client = Client()
    client.force_login(moderator)
    room = client.get(f"/c/{community.slug}/incidents/{incident.pk}/").content.decode()
    assert "회복적 돌아보기를 검토에 보냈어요." in room
    assert incident.title in room  # the community's own words, as written


def test_a_member_pause_carries_its_reasons_in_the_community_s_language(
    community: Community,
) -> None:
    with translation.override("ko"):
        english = pause_reason(community, 24)
    assert english.startswith("A 24-hour pause on posting")
    _korean(community)
    with translation.override("en"):
        korean = pause_reason(community, 24)
    assert korean == (
        "모두가 마음을 가라앉힐 수 있도록 24시간 동안 글쓰기를 잠시 쉬어 가요. "
        "시간이 지나면 저절로 풀리고, 활동 정지가 아니에요."
    )
    with translation.override("en"):
        assert (
            lifted_words(community, "forgiven") == "용서로 예산에 다시 여유가 생겨 일찍 풀었어요."
        )


def test_a_clause_alert_s_report_is_written_in_the_community_s_language(
    community: Community, moderator: User
) -> None:
    _korean(community)
    payload = {
        "alert_id": 7,
        "clause_id": 3,
        "clause_title": "Posts are not hostile",
        "space": None,
        "rule": "page_fast",
        "long_window_hours": 1,
        "short_window_hours": 0.083,
        "burn_rate_long": "15.0",
        "burn_rate_short": "17.9",
        "threshold": "14.4",
        "bad_long": 45,
        "total_long": 150,
        "event_ids": [],
        "fired_at": "2026-11-23T18:00:00+00:00",
    }
    with translation.override("en"), transaction.atomic():
        record_domain_event(community=community, type="clause.alert_fired", payload=payload)
    dispatch_pending()
    report = IncidentReport.objects.get(community=community)
    assert report.message.startswith("“Posts are not hostile” 경보: ")  # the clause's own words
    assert "events were bad" not in report.message and "times" not in report.message
    client = Client()
    client.force_login(moderator)
    board = client.get(f"/c/{community.slug}/incidents/").content.decode()
    assert report.message in board
