"""While a contract trial runs, the live evaluation counts and alerts the trial spaces under
the trial's clauses (docs/releases.md, "Trial spaces live under the trial's rules"), and the
contract page and a member's budget page show it as a trial."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from community.contract.evaluation import evaluate_community
from community.contract.releases.canary import roll_back_canary, start_canary
from community.contract.services import retire_clause, save_clause
from community.models import (
    Clause,
    ClauseAlert,
    ClauseSnapshot,
    Community,
    ConductEvent,
    Membership,
    Space,
)
from community.services import EventInput, ingest_events
from tests.contract.helpers import posts_and_flags
from tests.releases.helpers import ready_for_trial

pytestmark = pytest.mark.django_db


def _flags(community: Community, space: str, category: str, prefix: str, count: int = 1) -> None:
    at = timezone.now() - timedelta(hours=3)
    ingest_events(
        community=community,
        events=[
            EventInput(
                external_id=f"{prefix}-{n}",
                kind="flag_upheld",
                occurred_at=at,
                member_external_id="100",
                space_external_id=space,
                space_name=f"Space {space}",
                subject=f"{prefix}-post-{n}",
                category=category,
                recorded_at=at,
            )
            for n in range(count)
        ],
    )


def _wider_stricter_draft(clause: Clause) -> None:
    """The draft: target 99 % and off-topic flags count as bad too."""
    live = clause.published_definition()
    assert live is not None
    draft = type(live).from_dict(
        {
            **live.as_dict(),
            "target": Decimal("0.99"),
            "bad_categories": ["inappropriate", "off_topic"],
        }
    )
    save_clause(community=community_of(clause), definition=draft, clause=clause)


def community_of(clause: Clause) -> Community:
    return Community.objects.get(pk=clause.community_id)


def _latest(clause: Clause, scope: str) -> ClauseSnapshot:
    return ClauseSnapshot.objects.filter(clause=clause, scope=scope).latest("computed_at")


def test_trial_spaces_count_under_the_trial_and_the_rest_under_the_version_in_force(
    community: Community,
) -> None:
    clause, trial, rest = ready_for_trial(community)
    _wider_stricter_draft(clause)
    # One off-topic flag in each space: bad only under the trial's definition.
    _flags(community, "2", "off_topic", "t")
    _flags(community, "3", "off_topic", "r")
    canary = start_canary(
        community=community, space_ids=[trial.pk], duration_hours=5, summary="Wider", by=None
    )
    evaluate_community(community=community)
    inside, outside = _latest(clause, str(trial.pk)), _latest(clause, str(rest.pk))
    overall = _latest(clause, "")
    # Space 2 under the trial: 30 posts, 1 bad, target 99 % -> allowed 0.3, exhausted.
    assert (inside.total, inside.bad, inside.allowed_bad) == (30, 1, Decimal("0.3000"))
    assert inside.tier == "exhausted"
    # Space 3 under version 1: the off-topic flag is not bad, target 98 % -> allowed 0.6.
    assert (outside.total, outside.bad, outside.allowed_bad) == (30, 0, Decimal("0.6000"))
    assert outside.tier == "healthy"
    # Community-wide: space 2's events as the trial counts them, the rest as version 1 does,
    # judged against the target in force (98 % of 60 posts -> allowed 1.2).
    assert (overall.total, overall.bad, overall.allowed_bad) == (60, 1, Decimal("1.2000"))

    roll_back_canary(canary=canary, by_name="maya")
    evaluate_community(community=community)
    back = _latest(clause, str(trial.pk))
    assert (back.bad, back.allowed_bad, back.tier) == (0, Decimal("0.6000"), "healthy")
    assert _latest(clause, "").bad == 0


def test_an_alert_in_a_trial_space_fires_under_the_trial_rules(community: Community) -> None:
    clause, trial, rest = ready_for_trial(community)
    _wider_stricter_draft(clause)
    start_canary(
        community=community, space_ids=[trial.pk], duration_hours=5, summary="Wider", by=None
    )
    # A burst of off-topic flags: invisible to version 1, a fast burn under the trial.
    now = timezone.now() - timedelta(minutes=2)
    posts_and_flags(
        community, posts=40, flags=20, at=now, space="2", prefix="hot", category="off_topic"
    )
    posts_and_flags(
        community, posts=40, flags=20, at=now, space="3", prefix="cold", category="off_topic"
    )
    evaluate_community(community=community)
    scopes = set(ClauseAlert.objects.filter(clause=clause).values_list("scope", flat=True))
    # The trial space pages, and the community-wide line (which counts its events as the
    # trial does); space 3, with the same burst under version 1, does not.
    assert scopes == {str(trial.pk), ""}
    assert str(rest.pk) not in scopes
    # The trial space's alert lists the events the trial calls bad (off-topic flags there).
    for alert in ClauseAlert.objects.filter(clause=clause, scope=str(trial.pk)):
        listed = ConductEvent.objects.filter(pk__in=alert.event_ids)
        assert listed.count() == 20
        assert set(listed.values_list("category", "space_id")) == {("off_topic", trial.pk)}


def test_a_clause_the_trial_drops_no_longer_counts_in_the_trial_spaces(
    community: Community,
) -> None:
    clause, trial, rest = ready_for_trial(community)
    live = clause.published_definition()
    assert live is not None
    retire_clause(clause=clause)
    other = save_clause(
        community=community,
        definition=type(live).from_dict({**live.as_dict(), "title": "Stay kind"}),
    )
    assert other.pk != clause.pk
    start_canary(
        community=community, space_ids=[trial.pk], duration_hours=5, summary="Swap", by=None
    )
    evaluate_community(community=community)
    scopes = set(
        ClauseSnapshot.objects.filter(
            clause=clause, computed_at__gte=timezone.now() - timedelta(minutes=1)
        ).values_list("scope", flat=True)
    )
    assert str(rest.pk) in scopes and str(trial.pk) not in scopes
    assert _latest(clause, "").total == 30


def test_the_contract_page_and_the_budget_page_show_the_trial_that_applies(
    client: Client, community: Community, member: User
) -> None:
    clause, trial, _ = ready_for_trial(community)
    _wider_stricter_draft(clause)
    _flags(community, "2", "off_topic", "t")
    start_canary(
        community=community, space_ids=[trial.pk], duration_hours=5, summary="Wider", by=None
    )
    evaluate_community(community=community)
    mine = ConductEvent.objects.filter(space=trial, kind="post").first()
    assert mine is not None
    ConductEvent.objects.filter(pk=mine.pk).update(
        member=Membership.objects.get(user=member, community=community)
    )
    client.force_login(member)
    contract = client.get(f"/c/{community.slug}/contract/").content.decode()
    assert "Version 2 is on trial in Space 2" in contract
    assert "You post in Space 2, so while the trial lasts version 2" in contract
    assert "How the trial spaces are doing under version 2" in contract
    assert "96.67 %" in contract and "99 %" in contract
    budget = client.get(f"/c/{community.slug}/my-budget/").content.decode()
    assert "Version 2 is on trial in Space 2" in budget
    assert "You post in Space 2" in budget
    assert "is the same under both versions" in budget
    other = Space.objects.exclude(pk=trial.pk).get(community=community)
    ConductEvent.objects.filter(pk=mine.pk).update(space=other)
    elsewhere = client.get(f"/c/{community.slug}/my-budget/").content.decode()
    assert "Version 2 is on trial in Space 2" in elsewhere
    assert "You post in" not in elsewhere
