"""The budget pages: who sees what, the budget explained, appeals end to end, the moderator
table and the policy editor."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from budgets import services
from budgets.models import (
    Appeal,
    AppealStatus,
    Charge,
    ForgivenessPolicy,
    MemberBudget,
    Notice,
    PolicyVersion,
)
from budgets.recalculation import recalculate_community
from community.models import Community, Membership
from community.services import ServiceError
from tests.budgets.helpers import event, membership, posts, send
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


def charge(community: Community, member: Membership, *, days: float = 2, **kw: Any) -> Charge:
    return services.create_charge(
        community=community,
        membership=member,
        kind=kw.get("kind", "moderator_warning"),
        severity=kw.get("severity", "moderate"),
        reason=kw.get("reason", "Sharp words in Proposals"),
        occurred_at=timezone.now() - timedelta(days=days),
        by=None,
    )


# --- Who sees what --------------------------------------------------------------------------


def test_my_budget_explains_the_figure_and_each_charge(
    community: Community, member: User, member_membership: Membership
) -> None:
    first = charge(community, member_membership, days=5)
    charge(community, member_membership, days=1, reason="Removed post in Plot Swaps")
    response = client_for(member).get("/c/garden/my-budget/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong class="num" data-testid="points-left">4</strong> of 10 points left' in html
    assert "tier-warning" in html
    assert "Sharp words in Proposals" in html and "Removed post in Plot Swaps" in html
    leaves = (first.occurred_at + timedelta(days=30)).strftime("%-d %b %Y")
    assert leaves in html  # the date the charge leaves the window
    assert 'data-testid="recovers-at"' in html
    assert "<svg" in html and "<polyline" in html
    assert html.count("<circle") == 31  # one point per day of the window


def test_the_budget_meter_fills_with_the_points_left_and_says_so(
    community: Community, member: User, member_membership: Membership
) -> None:
    charge(community, member_membership, days=5)
    charge(community, member_membership, days=1, reason="Removed post in Plot Swaps")
    html = client_for(member).get("/c/garden/my-budget/").content.decode()
    meter = re.search(r'<svg class="meter"[^>]*aria-label="([^"]+)"[^>]*><rect width="(\d+)"', html)
    assert meter is not None
    # 4 of 10 points left: the bar is 40 % full, and its label reads the same number.
    assert meter.groups() == ("4 points left of 10 points (40 %)", "40")


def test_one_point_is_said_in_the_singular(
    community: Community, member: User, member_membership: Membership
) -> None:
    for days in (1, 2, 3):
        charge(community, member_membership, days=days)  # 3 points each: 1 of 10 left
    html = client_for(member).get("/c/garden/my-budget/").content.decode()
    assert "1 point left of 10 points" in html
    assert "1 points" not in html


@pytest.mark.parametrize("who", ["outsider", "other_moderator"])
def test_someone_elses_budget_is_not_found(
    community: Community, member_membership: Membership, who: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    url = f"/c/garden/budgets/members/{member_membership.pk}/"
    assert client_for(user).get(url).status_code == 404


def test_another_member_gets_404_for_a_budget_that_is_not_theirs(
    community: Community, member: User
) -> None:
    send(community, *posts(1, member="77"))
    other = membership(community, "77")
    assert client_for(member).get(f"/c/garden/budgets/members/{other.pk}/").status_code == 404


def test_moderators_see_a_members_page_with_ledger_and_transitions(
    community: Community, moderator: User, member_membership: Membership
) -> None:
    for days in (3, 2):
        charge(community, member_membership, days=days)
    recalculate_community(community=community)
    html = client_for(moderator).get(f"/c/garden/budgets/members/{member_membership.pk}/")
    text = html.content.decode()
    assert "Tier changes" in text and "a private, calm note to the member" in text
    assert "Whole ledger" in text


def test_my_budget_needs_a_membership(community: Community, outsider: User) -> None:
    assert client_for(outsider).get("/c/garden/my-budget/").status_code == 404
    assert Client().get("/c/garden/my-budget/").status_code == 302


@pytest.mark.parametrize(
    "url",
    ["/c/garden/budgets/", "/c/garden/budgets/appeals/", "/c/garden/budgets/policy/"],
)
def test_moderator_pages_are_forbidden_to_members(
    community: Community, member: User, moderator: User, url: str
) -> None:
    assert client_for(member).get(url).status_code == 403
    assert client_for(moderator).get(url).status_code == 200


# --- Appeals --------------------------------------------------------------------------------


def test_an_appeal_reverses_a_charge_end_to_end(
    community: Community,
    member: User,
    moderator: User,
    member_membership: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        wrong = charge(community, member_membership)
        charge(community, member_membership, days=3)
    assert MemberBudget.objects.get().tier == "warning"
    # The member appeals through htmx and gets the updated line back.
    response = client_for(member).post(
        f"/c/garden/budgets/charges/{wrong.pk}/appeal/",
        {"statement": "That was a quote from the rules, not my words."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Appeal: waiting for a moderator" in response.content.decode()
    appeal = Appeal.objects.get()
    # The moderator upholds it from the queue.
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(moderator).post(
            f"/c/garden/budgets/appeals/{appeal.pk}/decide/",
            {"decision": "reverse", "reason": "Right: it was a quote."},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    assert "Charge reversed" in response.content.decode()
    assert MemberBudget.objects.get().spent == 3
    assert MemberBudget.objects.get().tier == "healthy"
    page = client_for(member).get("/c/garden/my-budget/").content.decode()
    assert "Your appeal: charge reversed" in page
    assert "Right: it was a quote." in page


def test_the_appeal_button_opens_a_form_in_place(
    community: Community, member: User, member_membership: Membership
) -> None:
    c = charge(community, member_membership)
    url = f"/c/garden/budgets/charges/{c.pk}/appeal/"
    page = client_for(member).get("/c/garden/my-budget/").content.decode()
    assert f'hx-get="{url}"' in page and f'href="{url}"' in page
    fragment = client_for(member).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith(f'<tr id="charge-{c.pk}">')
    assert 'name="statement"' in fragment


def test_an_appeal_of_someone_elses_charge_is_refused(
    community: Community, member: User, moderator: User
) -> None:
    send(community, event("flag_upheld", member="77"))
    theirs = Charge.objects.get()
    url = f"/c/garden/budgets/charges/{theirs.pk}/appeal/"
    assert client_for(member).post(url, {"statement": "x"}).status_code == 404
    assert client_for(moderator).post(url, {"statement": "x"}).status_code == 403
    with pytest.raises(ServiceError, match="Only the member"):
        services.file_appeal(
            charge=theirs,
            membership=Membership.objects.get(user=member),
            statement="mine now",
        )
    assert not Appeal.objects.exists()


def test_a_second_appeal_of_the_same_charge_is_refused(
    community: Community, member: User, member_membership: Membership
) -> None:
    c = charge(community, member_membership)
    client = client_for(member)
    url = f"/c/garden/budgets/charges/{c.pk}/appeal/"
    assert client.post(url, {"statement": "first"}).status_code == 302
    with pytest.raises(ServiceError, match="already been appealed"):
        services.file_appeal(charge=c, membership=member_membership, statement="again")
    assert Appeal.objects.count() == 1


def test_an_appeal_after_its_period_is_refused(
    community: Community, member: User, member_membership: Membership
) -> None:
    c = charge(community, member_membership, days=20)
    Charge.objects.filter(pk=c.pk).update(recorded_at=timezone.now() - timedelta(days=15))
    response = client_for(member).post(
        f"/c/garden/budgets/charges/{c.pk}/appeal/", {"statement": "late"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "appeal period for this charge ended" in response.content.decode()
    assert not Appeal.objects.exists()


def test_a_decision_needs_a_reason_and_happens_once(
    community: Community, moderator: User, member_membership: Membership
) -> None:
    appeal = services.file_appeal(
        charge=charge(community, member_membership), membership=member_membership, statement="s"
    )
    client = client_for(moderator)
    url = f"/c/garden/budgets/appeals/{appeal.pk}/decide/"
    bad = client.post(url, {"decision": "reverse", "reason": ""}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING
    client.post(url, {"decision": "stands", "reason": "It stands."})
    again = client.post(
        url, {"decision": "reverse", "reason": "changed my mind"}, HTTP_HX_REQUEST="true"
    )
    assert again.status_code == 400
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.DECLINED
    assert not hasattr(appeal.charge, "forgiveness")


# --- The moderator table --------------------------------------------------------------------


def test_the_table_sorts_filters_and_paginates_in_a_fixed_number_of_queries(
    community: Community, moderator: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(60):
        send(community, *posts(n % 7, member=str(n)))
        if n % 3 == 0:
            send(community, *[event("moderator_warning", member=str(n)) for _ in range(n % 4 + 1)])
    recalculate_community(community=community)
    client = client_for(moderator)
    with django_assert_max_num_queries(10):
        page = client.get("/c/garden/budgets/?sort=ratio").content.decode()
    assert "Page 1 of 2" in page
    with django_assert_max_num_queries(8):
        fragment = client.get(
            "/c/garden/budgets/?tier=exhausted&sort=-spent", HTTP_HX_REQUEST="true"
        ).content.decode()
    assert fragment.lstrip().startswith('<section id="budget-table"')
    exhausted = MemberBudget.objects.filter(tier="exhausted").count()
    assert f"{exhausted} members in exhausted" in fragment
    assert "tier-healthy" not in fragment
    second = client.get("/c/garden/budgets/?page=2").content.decode()
    assert "Page 2 of 2" in second


# --- The policy editor ----------------------------------------------------------------------


def policy_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "window_days": 30,
        "member_target": "95",
        "floor_points": "10",
        "cooldown_hours": 24,
        "appeal_days": 14,
        "note": "",
    }
    for kind in ("flag_upheld", "moderator_warning", "post_removed"):
        for sev, cost in (("minor", 1), ("moderate", 3), ("severe", 8)):
            data[f"cost__{kind}__{sev}"] = cost
    data["actions__warning"] = ["private_nudge"]
    data.update(overrides)
    return data


def test_a_moderator_saves_a_new_policy_version(community: Community, moderator: User) -> None:
    response = client_for(moderator).post(
        "/c/garden/budgets/policy/",
        policy_post(
            window_days=45, note="Slower regeneration", actions__exhausted=["member_cooldown"]
        ),
    )
    assert response.status_code == 302
    policy = ForgivenessPolicy.objects.get()
    assert (policy.version, policy.window_days) == (2, 45)
    assert policy.tier_actions["exhausted"] == ["member_cooldown"]
    assert PolicyVersion.objects.get(version=2).note == "Slower regeneration"


@pytest.mark.parametrize(
    "overrides",
    [
        {"window_days": 400},
        {"member_target": "150"},
        {"floor_points": "0"},
        {"cost__flag_upheld__severe": "-2"},
        {"appeal_days": 0},
    ],
)
def test_a_policy_out_of_range_is_refused_and_changes_nothing(
    community: Community, moderator: User, overrides: dict[str, Any]
) -> None:
    services.get_policy(community=community)
    response = client_for(moderator).post("/c/garden/budgets/policy/", policy_post(**overrides))
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert ForgivenessPolicy.objects.get().version == 1
    assert PolicyVersion.objects.count() == 1


def test_saving_the_policy_unchanged_says_nothing_changed(
    community: Community, moderator: User
) -> None:
    client = client_for(moderator)
    assert client.post("/c/garden/budgets/policy/", policy_post()).status_code == 302
    response = client.post("/c/garden/budgets/policy/", policy_post(note="again"))
    assert response.status_code == 400
    assert "Nothing changed: the policy already has these settings." in response.content.decode()
    assert PolicyVersion.objects.count() == 2


def test_forgiving_needs_a_moderator_and_a_reason(
    community: Community, member: User, moderator: User, member_membership: Membership
) -> None:
    c = charge(community, member_membership)
    url = f"/c/garden/budgets/charges/{c.pk}/forgive/"
    assert client_for(member).post(url, {"reason": "please"}).status_code == 403
    client_for(moderator).post(url, {"reason": ""})
    assert not hasattr(Charge.objects.get(), "forgiveness")
    client_for(moderator).post(url, {"reason": "Apologised in the thread"})
    assert Charge.objects.get().forgiveness.reason == "Apologised in the thread"


def test_a_moderator_cannot_forgive_their_own_charge(community: Community, moderator: User) -> None:
    own = Membership.objects.get(user=moderator)
    c = charge(community, own)
    response = client_for(moderator).post(
        f"/c/garden/budgets/charges/{c.pk}/forgive/", {"reason": "mine"}
    )
    assert response.status_code == 403
    assert not hasattr(Charge.objects.get(), "forgiveness")


# --- The appeals queue ----------------------------------------------------------------------


def _flag_appeal(community: Community, number: int, text: str) -> Appeal:
    """A member whose flagged post (its words and link kept from the forum) is appealed."""
    send(
        community,
        *posts(4, member=str(number)),
        replace(
            event("flag_upheld", member=str(number), category="off_topic"),
            payload={
                "flag_types": ["off_topic", "inappropriate"],
                "post_text": text,
                "post_url": f"https://forum.example.org/p/{number}",
            },
        ),
    )
    flagged = Charge.objects.get(membership__identities__external_id=str(number))
    return services.file_appeal(
        charge=flagged, membership=flagged.membership, statement=f"Appeal {number}"
    )


def test_the_queue_shows_what_is_appealed_and_the_members_history(
    community: Community, moderator: User, django_assert_max_num_queries: Any
) -> None:
    for number in range(1, 6):
        _flag_appeal(community, number, f"Words of post {number}")
    client = client_for(moderator)
    with django_assert_max_num_queries(12):
        page = client.get("/c/garden/budgets/appeals/").content.decode()
    assert "Words of post 3" in page
    assert 'href="https://forum.example.org/p/3"' in page
    assert "Flagged as off topic, inappropriate." in page
    assert "In the last 30 days: 4 posts, 1 charge, no other appeals decided" in page
    assert "off_topic" not in page and "Upheld" not in page
    # Every form control has its own id: the second appeal's radios are not the first one's.
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for appeal in Appeal.objects.all():
        assert f'for="appeal-{appeal.pk}-decision_0"' in page
        assert f'id="appeal-{appeal.pk}-reason"' in page


def test_a_link_that_is_not_to_a_web_address_is_left_out(
    community: Community, moderator: User
) -> None:
    appeal = _flag_appeal(community, 7, "Hello")
    event_ = appeal.charge.event
    assert event_ is not None
    event_.payload = {**event_.payload, "post_url": "javascript:alert(1)"}
    event_.save(update_fields=["payload"])
    page = client_for(moderator).get("/c/garden/budgets/appeals/").content.decode()
    assert "javascript:" not in page and "Open the post on the forum" not in page


def test_a_decision_tells_the_page_to_refresh_the_waiting_count(
    community: Community, moderator: User
) -> None:
    first = _flag_appeal(community, 1, "one")
    _flag_appeal(community, 2, "two")
    client = client_for(moderator)
    response = client.post(
        f"/c/garden/budgets/appeals/{first.pk}/decide/",
        {"decision": "stands", "reason": "The flag was right."},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"appeal-{first.pk}",
    )
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"appeals-changed": {}}
    fragment = response.content.decode()
    assert fragment.lstrip().startswith(f'<article class="card appeal" id="appeal-{first.pk}"')
    assert "Charge stands" in fragment
    count = client.get(
        "/c/garden/budgets/appeals/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="appeals-waiting"
    ).content.decode()
    assert count.startswith('<span id="appeals-waiting"') and ">1</span>" in count
    # The member reads the outcome in the same words.
    notice = Notice.objects.get(kind="appeal_decided")
    assert notice.title == "Your appeal was looked at: the charge stands"


def test_a_decision_on_an_appeal_decided_meanwhile_says_so(
    community: Community, moderator: User
) -> None:
    appeal = _flag_appeal(community, 1, "one")
    services.decide_appeal(appeal=appeal, uphold=True, reason="Reversed.", by=moderator)
    response = client_for(moderator).post(
        f"/c/garden/budgets/appeals/{appeal.pk}/decide/",
        {"decision": "stands", "reason": "It stands."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "already been decided" in body and "Charge reversed" in body
    assert 'name="decision"' not in body
