"""Incident words in the reader's language: a runbook step's unknown placeholder is refused in
Korean for a Korean moderator, and a postmortem drafted in a Korean community writes its impact
section (figures and durations) in Korean, whoever started it. The figures keep durations as
minutes; the incident's timeline is written in the community's language too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from community.models import Community, Membership, Space
from community.services import ServiceError
from incidents import services as incident_services
from incidents.models import Incident, TimelineEntry
from incidents.postmortems import services
from incidents.postmortems.services.template import impact_text
from tests.postmortems.helpers import resolved_incident

pytestmark = pytest.mark.django_db


def test_an_unknown_placeholder_is_refused_in_korean(community: Community) -> None:
    runbook = incident_services.create_runbook(
        community=community, name="R", description="", by=None
    )
    with translation.override("ko"), pytest.raises(ServiceError) as refused:
        incident_services.add_runbook_step(
            runbook=runbook, title="Say", kind="notify_parties", config={"text": "Hi {space}"}
        )
    assert str(refused.value) == (
        "이 글에 쓸 수 있는 자리표시자: {name}, {facilitator}. 알 수 없는 자리표시자: {space}."
    )


def test_a_postmortem_in_a_korean_community_is_drafted_in_korean(
    community: Community, moderator: User, member_membership: Membership
) -> None:
    community.default_language = "ko"
    community.save()
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    incident = resolved_incident(
        community=community, space=space, moderator=moderator, parties=[member_membership]
    )
    assert incident.resolved_at is not None
    declared = incident.resolved_at - timedelta(minutes=95)
    Incident.objects.filter(pk=incident.pk).update(
        declared_at=declared, facilitator_at=declared + timedelta(minutes=10)
    )
    incident.refresh_from_db()
    with translation.override("en"):  # an English-speaking moderator starts it
        doc = services.start_postmortem(incident=incident, by=moderator)
    impact = doc.sections.get(key="impact").body
    assert "Proposals: 인정된 신고나 경고 0건, 글 0개, 회원 0명." in impact
    assert (
        "1시간 35분 동안 이어졌어요. 진행자는 10분 뒤에, 숨 고르기는 — 뒤에 시작됐고, "
        "1시간 35분 뒤에 해결됐어요."
    ) in impact
    assert "It lasted" not in impact
    assert doc.figures["minutes_to_resolution"] == 95
    assert doc.figures["minutes_to_facilitator"] == 10
    assert doc.figures["minutes_to_cooldown"] is None
    with translation.override("en"):
        assert impact_text(doc.figures).endswith(
            "It lasted 1 h 35 min: a facilitator after 10 min, a cooldown after —, "
            "resolved after 1 h 35 min."
        )
    metrics = TimelineEntry.objects.get(incident=incident, kind="metrics")
    assert metrics.text.startswith("진행자까지 ")
