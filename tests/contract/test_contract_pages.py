"""Contract pages: who sees what, the editor, acknowledgements, versions and diffs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from community.contract.evaluation import evaluate_community
from community.contract.services import publish_contract, save_clause
from community.contract.slo import ClauseDefinition
from community.models import (
    Acknowledgement,
    Clause,
    Community,
    Contract,
    ContractVersion,
    Visibility,
)
from tests.contract.helpers import HOSTILITY, posts_and_flags, published_clause

pytestmark = pytest.mark.django_db

CLAUSE_FORM = {
    "title": "Stay on topic",
    "wording": "Keep Growing Tips about growing.",
    "total_kinds": ["post"],
    "bad_kinds": ["flag_upheld"],
    "bad_categories": "off_topic",
    "per_space": "on",
    "target": "97",
    "window_days": "30",
    "min_bad_events": "3",
    "alert_rules": "page_fast page 2 1h 5m\nticket ticket 10 3d 6h",
}


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_public_contract_shows_each_clause_with_its_live_sli(
    community: Community, django_assert_max_num_queries: Any
) -> None:
    clause = published_clause(community)
    now = timezone.now()
    for day in range(5, 0, -1):
        posts_and_flags(
            community, posts=100, flags=day, at=now - timedelta(days=day, hours=1), prefix=f"d{day}"
        )
        evaluate_community(community=community, now=now - timedelta(days=day))
    evaluate_community(community=community, now=now)
    with django_assert_max_num_queries(8):
        response = Client().get("/c/garden/contract/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Disagree without hostility" in html
    assert f'data-testid="sli-{clause.pk}">97.00 %' in html  # 15 bad of 500
    assert "target 98 %" in html
    assert '<svg class="spark"' in html and "<polyline" in html
    assert "What we do at this tier" in html
    assert "Exhausted" in html or "exhausted" in html
    assert "cdn" not in html.lower()


def test_a_members_only_contract_is_hidden_from_outsiders(
    community: Community, member: User, outsider: User
) -> None:
    community.visibility = Visibility.MEMBERS
    community.save()
    published_clause(community)
    assert Client().get("/c/garden/contract/").status_code == 404
    assert logged_in(outsider).get("/c/garden/contract/").status_code == 404
    assert logged_in(outsider).get("/c/garden/contract/versions/1/").status_code == 404
    assert logged_in(member).get("/c/garden/contract/").status_code == 200


def test_without_a_version_the_page_says_so(community: Community, moderator: User) -> None:
    response = logged_in(moderator).get("/c/garden/contract/")
    assert "has not published a contract yet" in response.content.decode()
    assert "Write the first version" in response.content.decode()


def test_only_moderators_open_the_editor(
    community: Community, moderator: User, member: User, outsider: User, other_moderator: User
) -> None:
    assert logged_in(moderator).get("/c/garden/contract/edit/").status_code == 200
    assert logged_in(member).get("/c/garden/contract/edit/").status_code == 403
    assert logged_in(outsider).get("/c/garden/contract/edit/").status_code == 403
    assert logged_in(other_moderator).get("/c/garden/contract/edit/").status_code == 403
    assert Client().get("/c/garden/contract/edit/").status_code == 302  # to the login page
    assert (
        logged_in(member).post("/c/garden/contract/publish/", {"summary": "x"}).status_code == 403
    )
    assert logged_in(member).post("/c/garden/contract/clauses/new/", CLAUSE_FORM).status_code == 403
    assert not Clause.objects.exists() and not ContractVersion.objects.exists()


def test_drafts_are_hidden_from_members(
    community: Community, member: User, moderator: User
) -> None:
    draft = save_clause(community=community, definition=HOSTILITY)
    assert (
        logged_in(member).get(f"/c/garden/contract/clauses/{draft.pk}/openslo.yaml").status_code
        == 404
    )
    assert (
        logged_in(moderator).get(f"/c/garden/contract/clauses/{draft.pk}/openslo.yaml").status_code
        == 200
    )
    published_clause(community, ClauseDefinition(**{**HOSTILITY.__dict__, "title": "Other"}))
    assert logged_in(member).get(f"/c/garden/contract/clauses/{draft.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("typed", "stored"), [("98", "0.980000"), ("98 %", "0.980000"), ("99.5", "0.995000")]
)
def test_a_target_is_typed_as_a_percentage(
    community: Community, moderator: User, typed: str, stored: str
) -> None:
    client = logged_in(moderator)
    form = {**CLAUSE_FORM, "target": typed, "bad_categories": "off topic, spam"}
    assert client.post("/c/garden/contract/clauses/new/", form).status_code == 302
    clause = Clause.objects.get()
    assert (str(clause.target), clause.bad_categories) == (stored, ["off_topic", "spam"])
    # Shown again as it was typed: a percentage, the categories and rules in words.
    page = client.get(f"/c/garden/contract/clauses/{clause.pk}/").content.decode()
    assert f'value="{typed.rstrip(" %")}"' in page
    assert 'value="off topic, spam"' in page and "fast-burn page 2 1h 5m" in page
    assert "0.98" not in page and "off_topic" not in page and "page_fast" not in page


def test_the_new_clause_form_offers_the_target_as_a_percentage(
    community: Community, moderator: User
) -> None:
    page = logged_in(moderator).get("/c/garden/contract/clauses/new/").content.decode()
    assert 'name="target" value="98"' in page and "Target (%)" in page


def test_a_moderator_writes_a_clause_and_publishes(community: Community, moderator: User) -> None:
    client = logged_in(moderator)
    response = client.post("/c/garden/contract/clauses/new/", CLAUSE_FORM)
    assert response.status_code == 302
    clause = Clause.objects.get()
    assert (clause.title, clause.bad_categories, str(clause.target)) == (
        "Stay on topic",
        ["off_topic"],
        "0.970000",
    )
    assert [r["name"] for r in clause.alert_rules] == ["page_fast", "ticket"]
    assert not clause.is_live
    response = client.post(
        "/c/garden/contract/publish/", {"summary": "Our first contract"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/c/garden/contract/"
    clause.refresh_from_db()
    assert clause.is_live
    version = ContractVersion.objects.get()
    assert (version.number, version.published_by, version.summary) == (
        1,
        moderator,
        "Our first contract",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target": "100"}, "a percentage above 0 and below 100"),
        ({"target": "0"}, "a percentage above 0 and below 100"),
        ({"target": "ninety"}, "a percentage above 0 and below 100"),
        ({"total_kinds": []}, "Choose at least one for “Counts as total”"),
        ({"alert_rules": "fast page 2 5m 1h"}, "must be shorter than its long window"),
        ({"alert_rules": "fast page 2 1h"}, "five things"),
        ({"alert_rules": "fast sms 2 1h 5m"}, "“page” or “ticket”"),
        ({"alert_rules": "fast page 2 1x 5m"}, "not a duration"),
    ],
)
def test_a_bad_clause_form_shows_the_problem_and_saves_nothing(
    community: Community, moderator: User, change: dict[str, Any], message: str
) -> None:
    response = logged_in(moderator).post(
        "/c/garden/contract/clauses/new/", {**CLAUSE_FORM, **change}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Clause.objects.exists()


def test_editing_a_published_clause_changes_only_the_draft(
    community: Community, moderator: User
) -> None:
    clause = published_clause(community)
    form = {**CLAUSE_FORM, "title": "Disagree kindly"}
    assert (
        logged_in(moderator).post(f"/c/garden/contract/clauses/{clause.pk}/", form).status_code
        == 302
    )
    clause.refresh_from_db()
    assert clause.title == "Disagree kindly"
    live = clause.published_definition()
    assert live is not None and live.title == "Disagree without hostility"
    assert clause.has_unpublished_changes
    page = logged_in(moderator).get("/c/garden/contract/edit/").content.decode()
    assert "changed since publishing" in page


def test_the_draft_preamble_and_policy_save_through_htmx(
    community: Community, moderator: User
) -> None:
    response = logged_in(moderator).post(
        "/c/garden/contract/draft/",
        {
            "preamble": "We grow together.",
            "healthy": "Nothing.",
            "warning": "Weekly review.",
            "critical": "Check in.",
            "exhausted": "Freeze new rules.",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="draft"' in response.content.decode() and "<h1>" not in response.content.decode()
    contract = Contract.objects.get()
    assert (
        contract.preamble == "We grow together." and contract.policy["warning"] == "Weekly review."
    )


def test_retiring_a_clause_takes_it_out_at_the_next_publish(
    community: Community, moderator: User
) -> None:
    clause = published_clause(community)
    keep = save_clause(
        community=community, definition=ClauseDefinition(**{**HOSTILITY.__dict__, "title": "Keep"})
    )
    response = logged_in(moderator).post(
        f"/c/garden/contract/clauses/{clause.pk}/retire/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and 'id="clauses"' in response.content.decode()
    version = publish_contract(community=community, summary="Second", by=moderator)
    assert version.clause_ids == [keep.pk]
    clause.refresh_from_db()
    assert not clause.is_live and clause.live_definition is None


def test_published_versions_are_immutable(community: Community) -> None:
    published_clause(community)
    version = ContractVersion.objects.get()
    version.summary = "rewritten"
    with pytest.raises(ValueError, match="cannot be changed"):
        version.save()
    assert ContractVersion.objects.get().summary == "First"


def test_a_member_acknowledges_the_current_version(
    community: Community, member: User, member_membership: Any, moderator: User
) -> None:
    published_clause(community)
    client = logged_in(member)
    response = client.post("/c/garden/contract/acknowledge/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "You acknowledged version 1" in response.content.decode()
    client.post("/c/garden/contract/acknowledge/", HTTP_HX_REQUEST="true")
    assert Acknowledgement.objects.filter(membership=member_membership).count() == 1
    versions = logged_in(moderator).get("/c/garden/contract/versions/").content.decode()
    assert 'data-testid="acks-1">1 member<' in versions
    assert "acks-1" not in client.get("/c/garden/contract/versions/").content.decode()


def test_an_outsider_cannot_acknowledge(community: Community, outsider: User) -> None:
    published_clause(community)
    assert logged_in(outsider).post("/c/garden/contract/acknowledge/").status_code == 403
    assert not Acknowledgement.objects.exists()


def test_the_diff_between_two_versions_reads_calmly(community: Community, moderator: User) -> None:
    clause = published_clause(community)
    save_clause(
        community=community,
        clause=clause,
        definition=ClauseDefinition(
            **{
                **HOSTILITY.__dict__,
                "target": Decimal("0.99"),
            }
        ),
    )
    publish_contract(community=community, summary="A higher target", by=moderator)
    html = Client().get("/c/garden/contract/diff/?from=1&to=2").content.decode()
    assert "A higher target" in html
    removed = '<li class="diff-removed"><del><span class="visually-hidden">removed: </span>'
    assert f"{removed}   Measured: 98 %" in html
    assert (
        '<li class="diff-added"><ins><span class="visually-hidden">added: </span>   Measured: 99 %'
        in html
    )
    assert Client().get("/c/garden/contract/diff/?from=1").status_code == 400
    assert Client().get("/c/garden/contract/diff/?from=1&to=x").status_code == 400
    assert Client().get("/c/garden/contract/diff/?from=1&to=9").status_code == 404


def test_an_openslo_import_with_errors_names_the_field(
    community: Community, moderator: User
) -> None:
    response = logged_in(moderator).post(
        "/c/garden/contract/clauses/import/", {"document": "apiVersion: openslo/v1\nkind: SLO\n"}
    )
    assert response.status_code == 422
    assert "metadata: is required" in response.content.decode()
    assert not Clause.objects.exists()


def test_htmx_gets_a_form_with_errors_as_200_so_it_swaps(
    community: Community, moderator: User
) -> None:
    response = logged_in(moderator).post(
        "/c/garden/contract/publish/", {"summary": "No clauses yet"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="publish"' in html and "at least one clause" in html
    assert not ContractVersion.objects.exists()


def test_the_export_of_a_live_clause_hides_unpublished_edits(
    community: Community, member: User
) -> None:
    clause = published_clause(community)
    save_clause(
        community=community,
        clause=clause,
        definition=ClauseDefinition(**{**HOSTILITY.__dict__, "title": "Secret new wording"}),
    )
    text = (
        logged_in(member)
        .get(f"/c/garden/contract/clauses/{clause.pk}/openslo.yaml")
        .content.decode()
    )
    assert "Disagree without hostility" in text and "Secret" not in text


def test_the_editor_lists_clauses_with_their_tier_in_few_queries(
    community: Community, moderator: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(4):
        save_clause(
            community=community,
            definition=ClauseDefinition(**{**HOSTILITY.__dict__, "title": f"Clause {n}"}),
        )
    publish_contract(community=community, summary="Four clauses", by=moderator)
    evaluate_community(community=community)
    client = logged_in(moderator)
    with django_assert_max_num_queries(14):
        html = client.get("/c/garden/contract/edit/").content.decode()
    assert html.count('<span class="tier tier-nodata">No data</span>') == 4


def test_publishing_shows_what_changes_and_that_members_will_be_asked_to_acknowledge(
    community: Community, moderator: User, member: User
) -> None:
    published_clause(community)
    save_clause(
        community=community,
        definition=ClauseDefinition(**{**HOSTILITY.__dict__, "title": "Welcome newcomers"}),
    )
    page = logged_in(moderator).get("/c/garden/contract/edit/").content.decode()
    publish = page.split('id="publish"', 1)[1]
    assert "<summary>Review and publish version 2</summary>" in publish
    assert "added: </span>Clause: Welcome newcomers" in publish
    assert "added: </span>Clause: " + HOSTILITY.title not in publish  # unchanged, not listed
    assert "all 2 members will be asked to acknowledge it" in publish
    # Retiring a clause confirms and says what will happen.
    assert "<summary>Remove from draft…</summary>" in page
    assert "members keep reading it until then" in page


def test_the_publish_preview_says_when_nothing_changed(
    community: Community, moderator: User
) -> None:
    published_clause(community)
    page = logged_in(moderator).get("/c/garden/contract/edit/").content.decode()
    assert "The draft says the same as version 1" in page
