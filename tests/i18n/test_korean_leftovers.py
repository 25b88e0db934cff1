"""The refusals a Korean moderator meets, read through the pages and the API of a community
whose default language is Korean: a charge entered by hand, an OpenSLO import, the contract's
publish, a stale war room, the postmortem's publish and settings, the circle's forgiveness; and
the reasons the system writes on a forgiveness, stored in the community's language."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from budgets import services as budget_services
from budgets.models import Forgiveness
from community.models import Clause, Community, Membership, Space
from community.services import ServiceError
from incidents.postmortems import services as postmortems
from incidents.postmortems.circle.services.forgiveness import forgiveness_refusal
from incidents.postmortems.circle.services.participants import (
    invite_participant,
    require_accepted,
)
from incidents.postmortems.models import Postmortem
from tests.conftest import api_client_for
from tests.postmortems.helpers import resolved_incident, written_up

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _korean(community: Community) -> None:
    community.default_language = "ko"
    community.save()


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _postmortem(community: Community, moderator: User, party: Membership) -> Postmortem:
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    incident = resolved_incident(
        community=community, space=space, moderator=moderator, parties=[party]
    )
    return postmortems.start_postmortem(incident=incident, by=moderator)


def test_a_charge_entered_by_hand_is_refused_in_korean(
    api: APIClient, community: Community, member_membership: Membership
) -> None:
    _korean(community)
    body = {
        "member_id": member_membership.pk,
        "kind": "moderator_warning",
        "severity": "minor",
        "reason": "Shouted in the vote thread",
        "occurred_at": "2999-01-01T10:00:00Z",
    }
    future = api.post("/api/v1/charges/", body, format="json")
    assert future.status_code == 400
    assert future.json()["detail"] == "행동이 일어난 때는 미래일 수 없어요."
    nobody = api.post("/api/v1/charges/", body | {"member_id": 999999}, format="json")
    assert "이 커뮤니티에 그런 회원이 없어요" in str(nobody.json())
    assert "No such member" not in str(nobody.json())
    with translation.override("ko"):
        refused = budget_services.create_charge(
            community=community,
            membership=member_membership,
            kind="moderator_warning",
            severity="minor",
            reason="Shouted",
            occurred_at=timezone.now(),
            by=None,
        )
    assert refused.reason == "Shouted"  # the moderator's own words stay as written


def test_an_openslo_import_names_each_problem_in_korean(
    community: Community, moderator: User
) -> None:
    _korean(community)
    response = _client(moderator).post(
        f"/c/{community.slug}/contract/clauses/import/",
        {"document": "apiVersion: openslo/v2\nkind: SLO\nspec: {timeWindow: [{duration: 1x}]}\n"},
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "metadata: 꼭 있어야 해요" in page
    assert "apiVersion: “openslo/v1”이어야 해요" in page
    assert "“1x”은(는) 5m, 1h, 3d, 2w 같은 기간이 아니에요" in page
    assert "is required" not in page and "must be" not in page and "is not a duration" not in page
    assert not Clause.objects.exists()


def test_the_contract_publish_refusal_is_in_korean(community: Community, moderator: User) -> None:
    _korean(community)
    response = _client(moderator).post(
        f"/c/{community.slug}/contract/publish/", {"summary": "No clauses yet"}, **HTMX
    )
    page = response.content.decode()
    assert "커뮤니티 약속을 게시하려면 조항이 하나 이상 있어야 해요." in page
    assert "at least one clause" not in page


def test_a_stale_war_room_says_so_in_korean(
    community: Community, moderator: User, member_membership: Membership
) -> None:
    _korean(community)
    doc = _postmortem(community, moderator, member_membership)
    incident = doc.incident
    mine = Membership.objects.get(community=community, user=moderator)
    response = _client(moderator).post(
        f"/c/{community.slug}/incidents/{incident.pk}/facilitator/",
        {"membership": mine.pk, "version": incident.version + 5},
        **HTMX,
    )
    page = response.content.decode()
    assert "보고 있는 동안 다른 분이 이 갈등 상황을 바꿨어요." in page
    assert "Someone else changed" not in page


def test_the_postmortem_s_refusals_and_settings_are_in_korean(
    community: Community, moderator: User, member_membership: Membership
) -> None:
    _korean(community)
    doc = written_up(_postmortem(community, moderator, member_membership))
    api = api_client_for(community, "read", "moderate")
    early = api.post(
        f"/api/v1/postmortems/{doc.pk}/publish/", {"version": doc.version}, format="json"
    )
    assert early.json()["detail"] == "게시하기 전에 회복적 돌아보기를 검토에 보내 주세요."
    review = api.post(
        f"/api/v1/postmortems/{doc.pk}/review/", {"version": doc.version}, format="json"
    )
    refused = api.post(
        f"/api/v1/postmortems/{doc.pk}/publish/",
        {"version": review.json()["version"]},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("회복적 돌아보기를 게시하려면 효과를 어떻게")
    nobody = api.post(
        f"/api/v1/postmortems/{doc.pk}/action-items/",
        {
            "title": "Name quoting in the hostility clause",
            "kind": "runbook",
            "owner_id": 999999,
            "due_on": "2999-01-01",
        },
        format="json",
    )
    assert nobody.status_code == 400
    assert nobody.json()["detail"] == "이 커뮤니티에 그런 회원이 없어요."
    stale = api.post(f"/api/v1/postmortems/{doc.pk}/publish/", {"version": 999}, format="json")
    assert stale.status_code == 409
    assert "불러온 뒤에 다른 분이 이 회복적 돌아보기를 바꿨어요." in str(stale.json())
    client = _client(moderator)
    index = client.get(f"/c/{community.slug}/postmortems/").content.decode()
    assert "마감 시간과 알림" in index and "이 설정 저장" in index
    assert "Due times and reminders" not in index and "Save these settings" not in index
    settings = {
        "due_hours": "0",
        "reminder_every_hours": "24",
        "escalate_after_hours": "48",
        "objection_window_days": "7",
    }
    wrong = client.post(f"/c/{community.slug}/postmortems/settings/", settings)
    assert wrong.status_code == 400
    assert "마감 시간: 1에서 720 사이의 정수로 시간을 정해 주세요." in wrong.content.decode()
    saved = client.post(
        f"/c/{community.slug}/postmortems/settings/", settings | {"due_hours": "72"}, follow=True
    )
    assert "저장했어요. 새 회복적 돌아보기는 이 설정을 따라요." in saved.content.decode()


def test_the_circle_s_forgiveness_refusal_is_in_korean(
    community: Community, moderator: User, member_membership: Membership
) -> None:
    doc = _postmortem(community, moderator, member_membership)
    harmed = invite_participant(
        postmortem=doc, membership=member_membership, role="harmed", by=moderator
    )
    with translation.override("ko"):
        assert forgiveness_refusal(harmed) == (
            "용서는 합의를 지킨, 책임이 있는 분을 위한 것이에요."
        )
    harmed.role = "responsible"
    with translation.override("ko"):
        assert forgiveness_refusal(harmed) == (
            f"{member_membership.display_name} 님이 아직 회복 서클 참여를 수락하지 않았어요."
        )
    with translation.override("ko"), pytest.raises(ServiceError) as waiting:
        require_accepted(harmed, "facilitator")
    assert str(waiting.value) == (
        f"{member_membership.display_name} 님이 아직 초대를 수락하지 않아서 진행자가 될 수 "
        "없어요. 수락하지 않은 분은 회복 서클에 참여하지 않아요."
    )


def test_a_forgiveness_the_system_writes_is_stored_in_the_community_s_language(
    community: Community, moderator: User, member_membership: Membership
) -> None:
    _korean(community)
    charge = budget_services.create_charge(
        community=community,
        membership=member_membership,
        kind="moderator_warning",
        severity="minor",
        reason="Shouted in the vote thread",
        occurred_at=timezone.now(),
        by=moderator,
    )
    appeal = budget_services.file_appeal(
        charge=charge, membership=member_membership, statement="It was a quote."
    )
    # The moderator reads English; what is stored for the member is in the community's Korean.
    with translation.override("en"):
        budget_services.decide_appeal(
            appeal=appeal, uphold=True, reason="It was a quote.", by=moderator
        )
    forgiveness = Forgiveness.objects.get(charge=charge)
    assert forgiveness.reason == "이의 제기로 차감을 되돌렸어요: It was a quote."
