"""A budget policy's and a clause's validation messages are said in the reader's language: the
pure modules (``budget_math``, ``slo``) name each problem with a code and its values, and the
Django side puts it into words with gettext. A Korean moderator's page, the API of a community
whose default is Korean, and a policy trial refused under Korean, all read Korean."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from budgets.services import get_policy
from community.contract.releases.policy_trial import start_policy_trial
from community.models import Community, PersonalSettings
from community.services import ServiceError
from tests.budgets.test_pages import policy_post
from tests.contract.test_contract_pages import CLAUSE_FORM
from tests.releases.helpers import ready_for_trial

pytestmark = pytest.mark.django_db


def _korean_moderator(client: Client, moderator: User) -> Client:
    PersonalSettings.objects.create(user=moderator, language="ko")
    client.force_login(moderator)
    return client


def test_a_korean_moderator_saving_the_same_policy_reads_nothing_changed_in_korean(
    client: Client, community: Community, moderator: User
) -> None:
    korean = _korean_moderator(client, moderator)
    url = f"/c/{community.slug}/budgets/policy/"
    assert korean.post(url, policy_post()).status_code == 302
    response = korean.post(url, policy_post(note="again"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "바뀐 것이 없어요. 정책이 이미 이 설정이에요." in page
    assert "Nothing changed" not in page


def test_the_api_of_a_korean_community_says_what_is_wrong_with_a_policy_in_korean(
    api: APIClient, community: Community
) -> None:
    get_policy(community=community)
    community.default_language = "ko"
    community.save()
    response = api.put(
        "/api/v1/budget-policy/",
        {"member_target": "1.5", "floor_points": "0", "costs": {"hugging": {"minor": "1"}}},
        format="json",
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert errors["member_target"].startswith("회원 목표는 0과 1 사이의 소수(예: 0.95)로 적거나")
    assert errors["floor_points"] == "최저치는 0보다 크고 100000점 이하여야 해요."
    assert errors["costs"].startswith("“hugging”은(는) 마찰 종류가 아니에요(")
    assert get_policy(community=community).version == 1


def test_a_policy_trial_refused_under_korean_says_why_in_korean(community: Community) -> None:
    _, trial, _ = ready_for_trial(community)
    same = {"flag_upheld": {"minor": "1", "moderate": "3.0", "severe": "8"}}
    bad = {"flag_upheld": {"minor": "-1", "moderate": "3", "severe": "8"}}
    for costs, korean in (
        (same, "바뀐 것이 없어요. 정책이 이미 이 설정이에요."),
        (bad, "차감은 0부터 1000까지의 수이고, 소수점 아래 두 자리까지 적을 수 있어요"),
    ):
        with translation.override("ko"), pytest.raises(ServiceError) as refused:
            start_policy_trial(
                community=community,
                space_ids=[trial.pk],
                duration_hours=5,
                summary="x",
                costs=costs,
                by=None,
            )
        assert korean in str(refused.value)


def test_a_korean_moderator_reads_a_clause_s_problems_in_korean(
    client: Client, community: Community, moderator: User
) -> None:
    korean = _korean_moderator(client, moderator)
    form = {**CLAUSE_FORM, "alert_rules": "page_fast page 2 5m 1h"}
    response = korean.post(f"/c/{community.slug}/contract/clauses/new/", form)
    assert response.status_code == 422
    page = response.content.decode()
    assert "“page_fast”의 짧은 기간은 긴 기간보다 짧아야 해요." in page
    assert "must be shorter" not in page


def test_the_api_of_a_korean_community_says_what_is_wrong_with_a_clause_in_korean(
    api: APIClient, community: Community
) -> None:
    community.default_language = "ko"
    community.save()
    clause = {
        "title": "No spam",
        "wording": "Share what you grow, not what you sell.",
        "total_kinds": ["tweet"],
        "bad_kinds": ["flag_upheld"],
        "target": "1",
        "spaces": [999999],
    }
    response = api.post("/api/v1/clauses/", clause, format="json")
    assert response.status_code == 400, response.content
    said = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert said["target"] == (
        "목표는 0과 1 사이여야 해요. 예를 들어 98%는 0.98이에요. 1이면 실수 여유가 없어요."
    )
    assert said["total_kinds"].startswith("알 수 없는 일의 종류예요: tweet.")
    assert said["spaces"] == "이 커뮤니티에 없는 공간이에요: 999999."
