"""The incident's timeline in the community's language: in a community whose default language
is Korean, every entry the system writes (declared, the facilitator, a cooldown, a runbook, a
ticked checklist item, the status changes, the resolution's figures) is written in Korean when
it is stored, whatever language the moderator acting reads. The community's own words (names,
the space, the runbook's name, the summary) are quoted as written; a default checklist item is
quoted as the war room shows it, in the community's language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone, translation
from django.utils.translation import gettext

from community.models import Community, Membership, Space
from incidents import services
from incidents.models import IncidentRole, TimelineEntry
from incidents.starter_runbooks import RUNBOOK_A, install_starter_runbooks
from incidents.words import system_author

pytestmark = pytest.mark.django_db

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Two English words in a row, once the community's own words are taken out: an English sentence.
ENGLISH = re.compile(r"[A-Za-z]{2,}[ ,.:;]+[A-Za-z]{2,}")


def test_a_korean_communitys_timeline_is_written_in_korean(
    community: Community, moderator: User, member_membership: Membership
) -> None:
    community.default_language = "ko"
    community.save()
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    actor = services.Actor.person(moderator)
    mod = Membership.objects.get(community=community, user=moderator)
    runbook = install_starter_runbooks(community=community)[RUNBOOK_A]
    with translation.override("en"):  # the moderator acting reads English
        incident = services.declare_incident(
            community=community,
            title="Proposals: the vote got heated",
            severity="SEV3",
            spaces=[space],
            parties=[member_membership],
            actor=actor,
        )
        services.offer_facilitator(incident=incident, to=mod, expected_version=None, actor=actor)
        services.start_cooldown(
            community=community,
            space=space,
            mode="read_only",
            ends_at=timezone.now() + timedelta(hours=1),
            actor=actor,
            incident=incident,
        )
        services.start_runbook(
            incident=incident, runbook=runbook, expected_version=None, actor=actor
        )
        role = IncidentRole.objects.get(incident=incident, kind="facilitator")
        services.tick_checklist_item(role=role, index=0, actor=actor)
        services.transition_incident(
            incident=incident, to="monitoring", expected_version=None, actor=actor
        )
        services.transition_incident(
            incident=incident,
            to="resolved",
            expected_version=None,
            actor=actor,
            summary="We talked it through",
        )
    entries = list(TimelineEntry.objects.filter(incident=incident).order_by("pk"))
    kinds = {e.kind for e in entries}
    assert {"declared", "role", "cooldown", "runbook", "status", "metrics"} <= kinds
    community_words = [
        "maya_mod",
        "Proposals",
        runbook.name,
        "We talked it through",
        "SEV3",
        "UTC",
    ]
    for entry in entries:
        assert HANGUL.search(entry.text), entry.text
        rest = entry.text
        for words in community_words:
            rest = rest.replace(words, "")
        assert not ENGLISH.search(rest), entry.text
    texts = [e.text for e in entries]
    assert "maya_mod 님이 진행자예요." in texts
    assert "상태: 누그러뜨리는 중 → 지켜보는 중." in texts
    assert "상태: 지켜보는 중 → 해결됨. 요약: We talked it through" in texts
    assert any(t.startswith("Proposals에서 숨 고르기를 시작했어요: UTC ") for t in texts)
    assert f"“{runbook.name}” 대응 절차를 시작했어요." in texts
    with translation.override("ko"):  # the default item, in the community's words
        item = gettext(role.checklist[0])
    assert item != role.checklist[0]
    assert f"진행자 확인 목록: “{item}” 완료." in texts
    assert any(t.startswith("진행자까지 ") for t in texts)


def test_the_system_parts_that_write_on_a_timeline_are_named_in_the_readers_language() -> None:
    with translation.override("ko"):
        assert system_author("metrics") == "지표"
        assert system_author("Runbook: Runbook A") == "대응 절차: Runbook A"
        assert system_author("API key “Forum bridge”") == "API 키 “Forum bridge”"
        assert system_author("something else") == "something else"
    with translation.override("en"):
        assert system_author("clause alert") == "clause alert"
        assert system_author("Runbook: Runbook A") == "Runbook: Runbook A"
