"""Postmortem figures in /metrics: postmortems by state, overdue ones, action items and
agreements by status, per community; zero where there are none; a members-only community's
only with the metrics token; and no label that names a member."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from community.models import Clause, Community, ContractVersion, Membership, Space, Visibility
from incidents.postmortems import services
from incidents.postmortems.circle import services as circle_services
from incidents.postmortems.models import Postmortem
from tests.circle.helpers import joined
from tests.postmortems.helpers import guardrail_item, in_review, resolved_incident

pytestmark = pytest.mark.django_db

TOKEN = "scrape-" + "p" * 40
FAMILIES = (
    "csre_postmortems",
    "csre_postmortems_overdue",
    "csre_postmortem_action_items",
    "csre_circle_agreements",
)


def scrape(**headers: str) -> list[Any]:
    response = Client().get("/metrics", headers=headers)
    assert response.status_code == 200
    text = response.content.decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(found: list[Any], name: str, **labels: str) -> float:
    return next(s.value for s in found if s.name == name and s.labels == labels)


def test_metrics_count_postmortems_items_and_agreements_by_state_per_community(
    doc: Postmortem,
    community: Community,
    moderator: User,
    mod_membership: Membership,
    member_membership: Membership,
    clause: Clause,
    version: ContractVersion,
    space: Space,
) -> None:
    in_review(doc, mod_membership, clause, version)  # one guardrail item, open
    second = resolved_incident(
        community=community, space=space, moderator=moderator, title="Recipes: a sharp reply"
    )
    late = services.start_postmortem(incident=second, by=moderator)
    item = guardrail_item(late, owner=mod_membership, clause=clause, version=version)
    services.mark_done(item=item, expected_version=None, by=None)  # verifying
    owner = joined(late, member_membership, "responsible", moderator)
    agreement = circle_services.add_agreement(
        postmortem=late,
        text="Post a note",
        owner=owner,
        due_on=timezone.localdate() + timedelta(days=3),
        by=None,
    )
    circle_services.answer_consent(agreement=agreement, participant=owner, give=True)
    circle_services.decide_agreement(agreement=agreement, kept=True, by=None)
    circle_services.add_agreement(
        postmortem=late,
        text="Check in next week",
        owner=owner,
        due_on=timezone.localdate() + timedelta(days=9),
        by=None,
    )
    with time_machine.travel(late.due_at + timedelta(hours=1)):
        found = scrape()
    garden = {"community": "garden"}
    assert value(found, "csre_postmortems", **garden, state="in_review") == 1
    assert value(found, "csre_postmortems", **garden, state="draft") == 1
    assert value(found, "csre_postmortems", **garden, state="published") == 0
    assert value(found, "csre_postmortems_overdue", **garden) == 2
    assert value(found, "csre_postmortem_action_items", **garden, status="open") == 1
    assert value(found, "csre_postmortem_action_items", **garden, status="verifying") == 1
    assert value(found, "csre_postmortem_action_items", **garden, status="verified") == 0
    assert value(found, "csre_postmortem_action_items", **garden, status="reopened") == 0
    assert value(found, "csre_circle_agreements", **garden, status="kept") == 1
    assert value(found, "csre_circle_agreements", **garden, status="open") == 1
    assert value(found, "csre_circle_agreements", **garden, status="not_kept") == 0
    # Before its due time, a postmortem is not overdue.
    assert value(scrape(), "csre_postmortems_overdue", **garden) == 0
    # No label names a member: only the community and a state.
    for s in found:
        if s.name in FAMILIES:
            assert set(s.labels) <= {"community", "state", "status"}
            assert member_membership.display_name not in s.labels.values()


def test_a_members_only_community_s_postmortems_need_the_metrics_token(
    doc: Postmortem, community: Community, settings: Any
) -> None:
    Community.objects.filter(pk=community.pk).update(visibility=Visibility.MEMBERS)
    settings.METRICS_TOKEN = TOKEN
    anonymous = scrape()
    assert not [s for s in anonymous if s.name in FAMILIES]
    seen = scrape(Authorization=f"Bearer {TOKEN}")
    assert value(seen, "csre_postmortems", community="garden", state="draft") == 1
