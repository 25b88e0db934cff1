"""Needs you (the moderator's home), the member's home and the navigation by role."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from budgets import services as budget_services
from community.models import ClauseSnapshot, Community, Membership, Space
from incidents import services
from incidents.models import Incident, IncidentReport, ReportSource
from incidents.needs_you import _age, needs_you, needs_you_count
from integrations.models import DeliveryStatus, DiscourseConnection, ForumAction, InboundDelivery
from tests.conftest import PASSWORD
from tests.contract.helpers import published_clause


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def everything_waiting(community: Community, space: Space, member: Membership, mod: Any) -> None:
    """One of each kind of thing that waits for a moderator, oldest to newest."""
    services.declare_incident(
        community=community, title="Vote got heated", severity="SEV3", spaces=[space], actor=mod
    )
    # A report about a space with an open incident joins it; this one is about another space.
    swaps = Space.objects.create(community=community, name="Plot Swaps", external_id="3")
    services.report_heated_space(
        community=community, space=swaps, reporter=member, message="Piling on in the swap"
    )
    IncidentReport.objects.create(
        community=community, source=ReportSource.CLAUSE_ALERT, space=space, alert_key="a-1"
    )
    charge = budget_services.create_charge(
        community=community,
        membership=member,
        kind="moderator_warning",
        severity="moderate",
        reason="Sharp words",
        occurred_at=timezone.now(),
        by=None,
    )
    budget_services.file_appeal(charge=charge, membership=member, statement="It was a joke")
    clause = published_clause(community)
    now = timezone.now()
    ClauseSnapshot.objects.create(
        clause=clause,
        scope="",
        bucket=now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1),
        computed_at=now,
        total=100,
        bad=9,
        sli=Decimal("0.91"),
        allowed_bad=Decimal("2"),
        budget_remaining=Decimal("-3.5"),
        tier="exhausted",
    )
    connection = DiscourseConnection.objects.create(
        community=community, base_url="https://forum.example.org", webhook_secret="s" * 32
    )
    ForumAction.objects.create(
        community=community,
        connection=connection,
        domain_event_id=uuid.uuid4(),
        action="slow_mode",
        method="PUT",
        status="failed",
        attempts=1,
    )
    InboundDelivery.objects.create(
        connection=connection,
        event_name="post_created",
        content_key="post:1:1",
        body="{}",
        status=DeliveryStatus.DEAD_LETTER,
    )


def test_needs_you_lists_everything_waiting_oldest_first_each_with_one_action(
    community: Community, space: Space, member_membership: Membership, mod_actor: Any
) -> None:
    everything_waiting(community, space, member_membership, mod_actor)
    found = needs_you(community)
    kinds = [item.kind for item in found.items]
    assert sorted(kinds) == sorted(
        ["incident", "report", "alert", "appeal", "clause", "forum-call", "delivery"]
    )
    assert [i.since for i in found.items] == sorted(i.since for i in found.items)
    assert all(item.action and item.url.startswith("/c/garden/") for item in found.items)
    assert needs_you_count(community) == 7
    appeal = next(i for i in found.items if i.kind == "appeal")
    assert appeal.action == "Decide" and "Waiting" in appeal.detail


def test_an_incident_with_a_facilitator_no_longer_waits(
    community: Community, incident: Incident, moderator: User, mod_actor: Any
) -> None:
    assert [i.kind for i in needs_you(community).items] == ["incident"]
    mod = Membership.objects.get(user=moderator, community=community)
    services.offer_facilitator(incident=incident, to=mod, expected_version=None, actor=mod_actor)
    assert needs_you(community).items == []
    assert needs_you_count(community) == 0


def test_the_moderator_home_leads_with_needs_you_and_counts_it_in_the_nav(
    community: Community,
    space: Space,
    member_membership: Membership,
    moderator: User,
    mod_actor: Any,
    django_assert_max_num_queries: Any,
) -> None:
    everything_waiting(community, space, member_membership, mod_actor)
    client = client_for(moderator)
    with django_assert_max_num_queries(20):
        page = client.get("/c/garden/").content.decode()
    assert "Needs you" in page and "Find a facilitator" in page and "Decide" in page
    assert re.search(
        r'data-testid="needs-you-count"><span class="visually-hidden">\(</span>7', page
    )
    # Every other page shows the same count, for one query.
    assert 'data-testid="needs-you-count"' in client.get("/c/garden/incidents/").content.decode()


def test_an_empty_needs_you_says_all_calm_and_what_to_do_meanwhile(
    community: Community, moderator: User
) -> None:
    page = client_for(moderator).get("/c/garden/").content.decode()
    assert "All calm" in page and "rehearse a runbook" in page
    assert 'data-testid="needs-you-count"' not in page


def test_the_member_home_shows_their_budget_contract_appeals_and_reports(
    community: Community,
    space: Space,
    member: User,
    member_membership: Membership,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    published_clause(community, summary="Be kind in votes")
    with django_capture_on_commit_callbacks(execute=True):
        charge = budget_services.create_charge(
            community=community,
            membership=member_membership,
            kind="moderator_warning",
            severity="moderate",
            reason="Sharp words",
            occurred_at=timezone.now(),
            by=None,
        )
    budget_services.file_appeal(charge=charge, membership=member_membership, statement="No")
    services.report_heated_space(
        community=community, space=space, reporter=member_membership, message="Heated"
    )
    client = client_for(member)
    with django_assert_max_num_queries(16):
        page = client.get("/c/garden/").content.decode()
    assert "Welcome back" in page
    assert "Your budget:" in page and "points left" in page
    assert "Version 1 of the contract" in page and "Be kind in votes" in page
    assert "Your appeal" in page and "Sharp words" in page
    assert "Your report" in page and "Proposals" in page
    assert "Needs you" not in page


def nav_items(page: str) -> list[str]:
    row = re.search(r'<ul class="nav-row">(.*?)</ul>', page, re.S)
    assert row is not None
    return [
        re.sub(r"<[^>]+>|\s+", " ", li).split("(")[0].strip()
        for li in re.findall(r"<li>(.*?)</li>", row.group(1), re.S)
    ]


def test_each_role_has_at_most_six_top_level_items(
    community: Community, moderator: User, member: User
) -> None:
    assert nav_items(client_for(moderator).get("/c/garden/").content.decode()) == [
        "Needs you",
        "Incidents",
        "Members",
        "Contract",
        "Status",
        "Settings",
    ]
    assert nav_items(client_for(member).get("/c/garden/").content.decode()) == [
        "Home",
        "Contract",
        "My budget",
        "Status",
    ]
    assert nav_items(Client().get("/c/garden/").content.decode()) == [
        "Garden Club",
        "Contract",
        "Status",
    ]


def test_the_rest_sits_inside_its_top_level_item(community: Community, moderator: User) -> None:
    client = client_for(moderator)
    members = client.get("/c/garden/budgets/appeals/").content.decode()
    assert 'aria-label="Members"' in members and "/c/garden/budgets/policy/" in members
    settings = client.get("/c/garden/settings/").content.decode()
    assert "/c/garden/integrations/" in settings
    assert "/c/garden/notifications/preferences/" in settings
    contract = client.get("/c/garden/contract/").content.decode()
    assert "/c/garden/contract/edit/" in contract


def test_a_wait_under_a_minute_is_said_in_words_not_as_zero_minutes() -> None:
    now = timezone.now()
    assert _age(now - timedelta(seconds=20), now=now) == "under a minute"
    assert _age(now - timedelta(days=3, hours=2), now=now) == "3\xa0days"
