"""The contract over the API: clauses with live status, drafts, publishing, OpenSLO."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from community.contract.evaluation import evaluate_community
from community.contract.services import publish_contract, retire_clause, save_clause
from community.contract.slo import ClauseDefinition
from community.models import Clause, Community, ContractVersion, DomainEvent, Space
from tests.conftest import api_client_for
from tests.contract.helpers import HOSTILITY, posts_and_flags, published_clause

pytestmark = pytest.mark.django_db

NEW_CLAUSE = {
    "title": "No spam",
    "wording": "Share what you grow, not what you sell.",
    "total_kinds": ["post"],
    "bad_kinds": ["flag_upheld"],
    "bad_categories": ["spam"],
    "target": "0.995",
}


def test_clauses_list_carries_the_live_status(
    community: Community, api: APIClient, django_assert_max_num_queries: Any
) -> None:
    clause = published_clause(community)
    now = timezone.now()
    posts_and_flags(
        community, posts=5000, flags=60, at=now - timedelta(days=20), spread=timedelta(days=10)
    )
    evaluate_community(community=community, now=now)
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/clauses/")
    assert response.status_code == 200, response.content
    (row,) = response.json()
    assert row["id"] == clause.pk and row["published"] is True
    assert row["status"]["sli"] == "0.988"
    assert row["status"]["total"] == 5000 and row["status"]["bad"] == 60
    assert row["status"]["allowed_bad"] == "100"
    assert row["status"]["budget_remaining"] == "0.4"
    assert row["status"]["tier"] == "warning"
    assert set(row["status"]["burn_rates"]) == {"5m", "30m", "1h", "6h", "3d"}
    (space,) = row["spaces"]
    assert space["space"]["name"] == "Space 2"
    assert space["status"]["total"] == 5000
    assert row["definition"]["target"] == "0.98"


def test_a_read_key_sees_only_published_clauses(community: Community) -> None:
    published_clause(community)
    client = api_client_for(community, "read")
    moderator_client = api_client_for(community, "read", "moderate")
    moderator_client.post("/api/v1/clauses/", NEW_CLAUSE, format="json")
    assert len(client.get("/api/v1/clauses/").json()) == 1
    assert len(moderator_client.get("/api/v1/clauses/").json()) == 2
    draft = Clause.objects.get(slug="no-spam")
    assert client.get(f"/api/v1/clauses/{draft.pk}/").status_code == 404


def test_another_communitys_clauses_are_invisible(
    community: Community, other_community: Community
) -> None:
    clause = published_clause(community)
    other = api_client_for(other_community, "read", "moderate")
    assert other.get("/api/v1/clauses/").json() == []
    assert other.get(f"/api/v1/clauses/{clause.pk}/").status_code == 404
    assert other.get(f"/api/v1/clauses/{clause.pk}/openslo/").status_code == 404


def test_keys_and_scopes_are_enforced(community: Community) -> None:
    assert APIClient().get("/api/v1/clauses/").status_code == 401
    reader = api_client_for(community, "read")
    assert reader.post("/api/v1/clauses/", NEW_CLAUSE, format="json").status_code == 403
    assert (
        reader.post("/api/v1/contract/publish/", {"summary": "x"}, format="json").status_code == 403
    )
    assert (
        reader.put("/api/v1/contract/draft/", {"preamble": "x"}, format="json").status_code == 403
    )
    assert api_client_for(community, "events:write").get("/api/v1/clauses/").status_code == 403
    assert not Clause.objects.exists() and not ContractVersion.objects.exists()


def test_a_moderate_key_creates_a_draft_and_publishes_it(
    community: Community, api: APIClient
) -> None:
    response = api.post("/api/v1/clauses/", NEW_CLAUSE, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["published"] is False
    draft = api.put(
        "/api/v1/contract/draft/",
        {"preamble": "We grow together.", "policy": {"warning": "We talk weekly."}},
        format="json",
    )
    assert draft.status_code == 200 and draft.json()["policy"]["warning"] == "We talk weekly."
    digest = draft.json()["draft_digest"]
    published = api.post(
        "/api/v1/contract/publish/",
        {"summary": "First version", "draft_digest": digest},
        format="json",
    )
    assert published.status_code == 201, published.content
    assert published.json()["number"] == 1
    assert published.json()["published_by"] == "API key “test”"
    contract = api.get("/api/v1/contract/").json()
    assert contract["current_version"]["preamble"] == "We grow together."
    assert contract["versions"] == 1
    assert [v["number"] for v in api.get("/api/v1/contract/versions/").json()] == [1]
    assert api.get("/api/v1/contract/versions/1/").json()["clauses"][0]["title"] == "No spam"
    assert api.get("/api/v1/contract/versions/2/").status_code == 404
    event = DomainEvent.objects.get(type="contract.published")
    assert event.payload == {
        "version": 1,
        "version_id": ContractVersion.objects.get().pk,
        "summary": "First version",
        "published_by": "API key “test”",
        "clause_ids": [Clause.objects.get().pk],
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": "1"}, "target"),
        ({"target": "0"}, "target"),
        ({"total_kinds": []}, "total_kinds"),
        ({"total_kinds": ["tweet"]}, "total_kinds"),
        ({"title": ""}, "title"),
        ({"window_days": 0}, "window_days"),
        ({"spaces": [999999]}, "spaces"),
        (
            {
                "alert_rules": [
                    {
                        "name": "x",
                        "severity": "page",
                        "budget_percent": "2",
                        "long_minutes": 5,
                        "short_minutes": 60,
                    }
                ]
            },
            "alert_rules[0].short_minutes",
        ),
    ],
)
def test_an_invalid_clause_is_refused_naming_the_field(
    community: Community, api: APIClient, change: dict[str, Any], field: str
) -> None:
    response = api.post("/api/v1/clauses/", {**NEW_CLAUSE, **change}, format="json")
    assert response.status_code == 400, response.content
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f == field or f.startswith(f"{field}.") for f in fields), fields
    assert not Clause.objects.exists()


def _digest(api: APIClient) -> str:
    return str(api.get("/api/v1/contract/draft/").json()["draft_digest"])


def _publish(api: APIClient, summary: str, digest: str | None = None) -> Any:
    body = {"summary": summary, "draft_digest": _digest(api) if digest is None else digest}
    return api.post("/api/v1/contract/publish/", body, format="json")


def test_publishing_needs_a_summary_and_a_change(community: Community, api: APIClient) -> None:
    assert _publish(api, "x").status_code == 400
    api.post("/api/v1/clauses/", NEW_CLAUSE, format="json")
    assert _publish(api, "").status_code == 400
    assert _publish(api, "v1").status_code == 201
    again = _publish(api, "v2")
    assert again.status_code == 400
    assert "Nothing has changed" in again.json()["errors"][0]["message"]
    assert ContractVersion.objects.count() == 1


def test_publishing_needs_the_digest_of_the_draft_it_read(
    community: Community, api: APIClient
) -> None:
    api.post("/api/v1/clauses/", NEW_CLAUSE, format="json")
    missing = api.post("/api/v1/contract/publish/", {"summary": "v1"}, format="json")
    assert missing.status_code == 400
    assert [e["field"] for e in missing.json()["errors"]] == ["draft_digest"]
    assert missing.json()["detail"] == "The contract was not published; nothing changed."
    read = _digest(api)
    assert read == _digest(api)  # the same draft reads the same
    # Someone changes the draft after it was read: the old digest is refused.
    changed = api.put(
        "/api/v1/contract/draft/", {"preamble": "We grow together.", "policy": {}}, format="json"
    )
    assert changed.json()["draft_digest"] != read
    stale = _publish(api, "v1", read)
    assert stale.status_code == 400
    [error] = stale.json()["errors"]
    assert error["field"] == "draft_digest" and "changed since this digest" in error["message"]
    assert not ContractVersion.objects.exists()
    assert _publish(api, "v1", changed.json()["draft_digest"]).status_code == 201
    # Published, the digest of version 1's draft no longer publishes anything.
    api.post("/api/v1/clauses/", {**NEW_CLAUSE, "title": "No selling"}, format="json")
    assert _publish(api, "v2", changed.json()["draft_digest"]).status_code == 400
    assert ContractVersion.objects.count() == 1


# --- OpenSLO --------------------------------------------------------------------------------


def test_the_openslo_export_reimports_to_an_identical_clause(
    community: Community, api: APIClient
) -> None:
    space = Space.objects.create(community=community, name="Growing Tips")
    response = api.post(
        "/api/v1/clauses/",
        {
            **NEW_CLAUSE,
            "spaces": [space.pk],
            "per_space": False,
            "total_categories": [],
            "target": "0.9875",
            "window_days": 28,
            "min_bad_events": 5,
            "alert_rules": [
                {
                    "name": "fast",
                    "severity": "page",
                    "budget_percent": "2.5",
                    "long_minutes": 120,
                    "short_minutes": 10,
                },
                {
                    "name": "slow",
                    "severity": "ticket",
                    "budget_percent": "10",
                    "long_minutes": 4320,
                    "short_minutes": 360,
                },
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    original = Clause.objects.get()
    exported = api.get(f"/api/v1/clauses/{original.pk}/openslo/")
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/yaml"
    document = yaml.safe_load(exported.content)
    assert document["apiVersion"] == "openslo/v1" and document["kind"] == "SLO"
    assert document["spec"]["objectives"] == [{"displayName": "No spam", "target": 0.9875}]
    assert document["spec"]["timeWindow"] == [{"duration": "28d", "isRolling": True}]
    assert [p["metadata"]["name"] for p in document["spec"]["alertPolicies"]] == ["fast", "slow"]
    condition = document["spec"]["alertPolicies"][0]["spec"]["conditions"][0]["spec"]
    # 2.5 % of a 28-day budget within 2 h: 0.025 * 672 / 2.
    assert condition == {
        "severity": "page",
        "condition": {"kind": "burnrate", "op": "gte", "threshold": 8.4, "lookbackWindow": "2h"},
    }
    imported = api.post(
        "/api/v1/clauses/import/", {"document": exported.content.decode()}, format="json"
    )
    assert imported.status_code == 201, imported.content
    copy = Clause.objects.get(pk=imported.json()["id"])
    assert copy.slug == "no-spam-2"
    assert copy.draft_definition() == original.draft_definition()
    assert copy.target == Decimal("0.9875")


def _document(community: Community, api: APIClient) -> dict[str, Any]:
    api.post("/api/v1/clauses/", NEW_CLAUSE, format="json")
    clause = Clause.objects.get()
    return yaml.safe_load(api.get(f"/api/v1/clauses/{clause.pk}/openslo/").content)


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    node: Any = doc
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    if value is KeyError:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("apiVersion", "openslo/v2", "apiVersion"),
        ("spec.objectives.0.target", 1, "spec.objectives[0].target"),
        ("spec.timeWindow.0.duration", "30x", "spec.timeWindow[0].duration"),
        (
            "spec.indicator.spec.ratioMetric.total.metricSource.spec.kinds",
            [],
            "spec.indicator.spec.ratioMetric.total.metricSource.spec.kinds",
        ),
        (
            "spec.indicator.spec.ratioMetric.total",
            KeyError,
            "spec.indicator.spec.ratioMetric.total",
        ),
        (
            "spec.indicator.spec.ratioMetric.total.metricSource.spec.spaces",
            ["Nowhere"],
            "spec.indicator.spec.ratioMetric.total.metricSource.spec.spaces",
        ),
        (
            "spec.alertPolicies.0.spec.conditions.0.spec.severity",
            "sms",
            "spec.alertPolicies[0].spec.conditions[0].spec.severity",
        ),
        ("metadata.name", KeyError, "metadata.name"),
    ],
)
def test_an_invalid_openslo_document_names_the_field_and_stores_nothing(
    community: Community, api: APIClient, path: str, value: Any, field: str
) -> None:
    doc = _document(community, api)
    _set(doc, path, value)
    response = api.post("/api/v1/clauses/import/", {"document": yaml.safe_dump(doc)}, format="json")
    assert response.status_code == 400, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert Clause.objects.count() == 1


def test_a_document_that_is_not_yaml_is_refused(community: Community, api: APIClient) -> None:
    response = api.post("/api/v1/clauses/import/", {"document": "kind: [unclosed"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "(document)"


def _retired_clause(community: Community) -> Clause:
    """A clause that was published, then retired and published away (no longer live)."""
    clause = published_clause(community)
    save_clause(
        community=community, definition=ClauseDefinition(**{**HOSTILITY.__dict__, "title": "Keep"})
    )
    retire_clause(clause=clause)
    publish_contract(community=community, summary="Retire it", by=None)
    clause.refresh_from_db()
    assert not clause.is_live and clause.retired_at is not None
    return clause


def test_a_retired_clause_is_seen_through_a_moderate_key_as_by_a_moderator(
    community: Community, moderator: User, member: User
) -> None:
    clause = _retired_clause(community)
    moderate = api_client_for(community, "read", "moderate")
    response = moderate.get(f"/api/v1/clauses/{clause.pk}/")
    assert response.status_code == 200, response.content
    assert (response.json()["retired"], response.json()["published"]) == (True, False)
    assert moderate.get(f"/api/v1/clauses/{clause.pk}/openslo/").status_code == 200
    assert clause.pk in [row["id"] for row in moderate.get("/api/v1/clauses/").json()]
    # The same rule on the web: the moderator sees it, a member does not.
    web = f"/c/garden/contract/clauses/{clause.pk}/openslo.yaml"
    moderator_client, member_client = Client(), Client()
    moderator_client.force_login(moderator)
    member_client.force_login(member)
    assert moderator_client.get(web).status_code == 200
    assert member_client.get(web).status_code == 404


def test_a_retired_clause_does_not_exist_for_a_read_key(community: Community) -> None:
    clause = _retired_clause(community)
    reader = api_client_for(community, "read")
    response = reader.get(f"/api/v1/clauses/{clause.pk}/")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such clause."
    assert reader.get(f"/api/v1/clauses/{clause.pk}/openslo/").status_code == 404
    assert clause.pk not in [row["id"] for row in reader.get("/api/v1/clauses/").json()]
