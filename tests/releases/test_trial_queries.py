"""The Trial section costs the contract page and a member's budget page a fixed number of
queries, however many spaces, clauses and events the trial holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.contract.evaluation import evaluate_community
from community.contract.releases.canary import roll_back_canary, start_canary
from community.models import Community, ConductEvent, Membership, Space
from tests.contract.helpers import posts_and_flags
from tests.releases.helpers import ready_for_trial

pytestmark = pytest.mark.django_db


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_trial_section_costs_the_same_queries_with_more_spaces_and_events(
    client: Client, community: Community, member: User
) -> None:
    _, trial, _ = ready_for_trial(community)
    mine = Membership.objects.get(user=member, community=community)
    ConductEvent.objects.filter(pk__in=ConductEvent.objects.filter(space=trial)[:3]).update(
        member=mine
    )
    client.force_login(member)
    pages = (f"/c/{community.slug}/contract/", f"/c/{community.slug}/my-budget/")
    canary = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=5, summary="One", by=None
    )
    evaluate_community(community=community)
    client.get(pages[0])  # warm the process-wide caches once
    small = [_queries(client, p) for p in pages]
    roll_back_canary(canary=canary, by_name="maya")

    posts_and_flags(community, posts=40, flags=3, at=timezone.now() - timedelta(hours=1), space="4")
    fourth = Space.objects.get(community=community, external_id="4")
    ConductEvent.objects.filter(pk__in=ConductEvent.objects.filter(space=fourth)[:3]).update(
        member=mine
    )
    start_canary(
        community=community,
        space_ids=[trial.pk, fourth.pk],
        duration_hours=5,
        summary="Two",
        by=None,
    )
    evaluate_community(community=community)
    body = client.get(pages[0]).content.decode()
    assert "You post in Space 2, Space 4" in body
    assert [_queries(client, p) for p in pages] == small
