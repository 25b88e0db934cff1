"""/metrics says nothing about a members-only community unless the scrape sends the metrics
token: no label, no count that includes it. Public communities and request metrics stay public."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from budgets import services as budget_services
from community.contract.evaluation import evaluate_community
from community.models import (
    Community,
    DomainEvent,
    DomainEventType,
    Membership,
    Role,
    Space,
    Visibility,
)
from community.services import set_role
from incidents import services as incident_services
from tests.conftest import make_user
from tests.contract.helpers import posts_and_flags, published_clause

pytestmark = pytest.mark.django_db

TOKEN = "scrape-" + "s" * 40


@pytest.fixture
def hidden(community: Community, django_capture_on_commit_callbacks: Any) -> Community:
    """A members-only community with something in every collector: members, budgets, a live
    clause with a snapshot, an open incident, a cooldown and a pending domain event."""
    secret = Community.objects.create(
        slug="quiet-circle", name="Quiet Circle", visibility=Visibility.MEMBERS
    )
    moderator = make_user("quinn_mod")
    set_role(community=secret, user=moderator, role=Role.MODERATOR)
    member = make_user("sam_member")
    set_role(community=secret, user=member, role=Role.MEMBER)
    space = Space.objects.create(community=secret, name="Confidences", external_id="9")
    with django_capture_on_commit_callbacks(execute=True):
        budget_services.create_charge(
            community=secret,
            membership=Membership.objects.get(community=secret, user=member),
            kind="moderator_warning",
            severity="moderate",
            reason="Sharp words",
            occurred_at=timezone.now() - timedelta(days=1),
            by=None,
        )
    published_clause(secret)
    posts_and_flags(secret, posts=50, flags=2, at=timezone.now() - timedelta(hours=3))
    evaluate_community(community=secret, now=timezone.now())
    actor = incident_services.Actor.person(moderator)
    incident = incident_services.declare_incident(
        community=secret, title="Confidences got heated", severity="SEV2", actor=actor
    )
    incident_services.start_cooldown(
        community=secret,
        space=space,
        actor=actor,
        incident=incident,
        mode="slow_mode",
        slow_mode_seconds=120,
        ends_at=timezone.now() + timedelta(hours=2),
    )
    DomainEvent.objects.create(community=secret, type=DomainEventType.values[0])
    return secret


def scrape(**headers: str) -> str:
    response = Client().get("/metrics", headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def samples(text: str) -> list[Any]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(text: str, name: str, **labels: str) -> float:
    return next(s.value for s in samples(text) if s.name == name and s.labels == labels)


def test_an_anonymous_scrape_tells_nothing_about_members_only_communities(
    hidden: Community, member: User, settings: Any
) -> None:
    settings.METRICS_TOKEN = TOKEN
    text = scrape()
    for word in ("quiet-circle", "Confidences", "disagree-without-hostility"):
        assert word not in text
    assert not [s for s in samples(text) if "quiet-circle" in s.labels.values()]
    assert value(text, "csre_communities") == 1.0  # the public "garden" only
    assert value(text, "csre_memberships", community="garden") == 1.0
    assert (
        value(text, "csre_outbox_pending_events")
        == DomainEvent.objects.filter(community__slug="garden", dispatched_at__isnull=True).count()
    )
    assert "csre_open_incidents" in text and "csre_active_cooldowns" in text  # families, empty
    # Request metrics stay public.
    assert 'http_requests_total{method="GET",status="200",view="metrics"}' in scrape()


def test_a_scrape_with_the_metrics_token_sees_every_community(
    hidden: Community, member: User, settings: Any
) -> None:
    settings.METRICS_TOKEN = TOKEN
    text = scrape(Authorization=f"Bearer {TOKEN}")
    assert value(text, "csre_communities") == 2.0
    assert value(text, "csre_memberships", community="quiet-circle") >= 2.0
    assert value(text, "csre_open_incidents", community="quiet-circle", severity="SEV2") == 1.0
    assert value(text, "csre_active_cooldowns", community="quiet-circle") == 1.0
    assert any(
        s.name == "csre_member_budgets" and s.labels.get("community") == "quiet-circle"
        for s in samples(text)
    )
    assert any(
        s.name == "slo:objective:ratio" and s.labels.get("sloth_service") == "quiet-circle"
        for s in samples(text)
    )
    assert value(text, "csre_outbox_pending_events") >= 1.0


@pytest.mark.parametrize(
    "authorization",
    ["", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer "],
)
def test_a_wrong_or_missing_token_is_an_anonymous_scrape(
    hidden: Community, settings: Any, authorization: str
) -> None:
    settings.METRICS_TOKEN = TOKEN
    assert "quiet-circle" not in scrape(Authorization=authorization)


def test_with_no_token_configured_nothing_unlocks_members_only_communities(
    hidden: Community, settings: Any
) -> None:
    settings.METRICS_TOKEN = ""
    assert "quiet-circle" not in scrape(Authorization="Bearer ")
    assert "quiet-circle" not in scrape(Authorization="Bearer  ")
