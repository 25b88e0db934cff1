"""The main pages of the demo and how many database queries each costs (``manage.py
page_queries`` prints them; a test holds each to a fixed ceiling that does not grow with data).

Each page is fetched the way a person would open it: logged in as the demo moderator or the demo
member, through Django's test client, counting every query the request makes (the session, the
person, the navigation's counts and the page itself).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.contract.releases.models import Canary, CanaryStatus
from community.models import Community, Membership
from demo.context import DEMO_SLUG, MEMBER_USERNAME, MODERATOR_USERNAME
from incidents.models import Incident, IncidentStatus


@dataclass(frozen=True)
class Page:
    label: str
    username: str
    url: Callable[[Community], str]
    # The most queries the page may make on the demo, whatever its size.
    ceiling: int


def _url(name: str, query: str = "") -> Callable[[Community], str]:
    return lambda community: reverse(name, args=[community.slug]) + query


def _war_room(community: Community) -> str:
    incident = (
        Incident.objects.filter(community=community, status=IncidentStatus.MITIGATING)
        .order_by("pk")
        .first()
    )
    assert incident is not None, "the demo has an incident in mitigation"
    return reverse("incidents:detail", args=[community.slug, incident.pk])


def _trial(status: str) -> Callable[[Community], str]:
    def url(community: Community) -> str:
        canary = Canary.objects.filter(community=community, status=status).order_by("pk").first()
        assert canary is not None, f"the demo has a trial {status}"
        return reverse("releases:canary", args=[community.slug, canary.pk])

    return url


def _release_health(community: Community) -> str:
    return reverse("releases:health", args=[community.slug, 2])


def _member_budget(community: Community) -> str:
    member = Membership.objects.get(community=community, user__username=MEMBER_USERNAME)
    return reverse("budgets:member", args=[community.slug, member.pk])


MOD, MEMBER = MODERATOR_USERNAME, MEMBER_USERNAME
PAGES: tuple[Page, ...] = (
    # Home and contract read the clauses' translations in one prefetch (whatever their number).
    Page("Moderator home (Needs you)", MOD, _url("community:home"), 19),
    Page("Member home", MEMBER, _url("community:home"), 15),
    Page("Incidents board", MOD, _url("incidents:board"), 12),
    Page("War room", MOD, _war_room, 24),
    Page("Notifications (moderator)", MOD, _url("community:notifications"), 7),
    Page("Notifications (member)", MEMBER, _url("community:notifications"), 7),
    Page("Notification preferences", MEMBER, _url("community:notification-preferences"), 7),
    # The contract and budget pages show the demo's running trial in Proposals (the trial, its
    # spaces, the member's activity there, its clauses' status). The member budget's ceiling
    # also covers the query that finds the member for its address (20 on the page).
    Page("Contract", MEMBER, _url("contract:page"), 16),
    Page("Member budget (moderator's view)", MOD, _member_budget, 21),
    Page("My budget (member)", MEMBER, _url("budgets:my-budget"), 16),
    Page("Appeals queue", MOD, _url("budgets:appeals"), 18),
    Page("Members table", MOD, _url("budgets:table"), 11),
    Page("Members table, most spent first", MOD, _url("budgets:table", "?sort=-spent"), 11),
    Page(
        "Members table, one tier, a name search",
        MOD,
        _url("budgets:table", "?tier=warning&q=sprout&sort=name"),
        11,
    ),
    Page("Status page", MEMBER, _url("incidents:status"), 15),
    Page("Settings", MOD, _url("community:settings"), 12),
    Page("Flow health board", MOD, _url("boards:flow"), 22),
    Page("Change safety board", MOD, _url("boards:change"), 14),
    Page("Fairness board", MOD, _url("boards:fairness"), 7),
    Page("Releases of the contract", MOD, _url("releases:index"), 14),
    Page("A trial rolled back", MOD, _trial(CanaryStatus.ROLLED_BACK), 9),
    Page("A trial promoted", MEMBER, _trial(CanaryStatus.PROMOTED), 9),
    # The demo ends with a draft (the version on trial), so the council reads its answers too.
    Page("The spokescouncil", MEMBER, _url("releases:council"), 13),
    Page("Release health of version 2", MEMBER, _release_health, 9),
)


@dataclass(frozen=True)
class Measured:
    page: Page
    url: str
    status: int
    queries: int


def measure(page: Page, community: Community, clients: dict[str, Client]) -> Measured:
    url = page.url(community)
    with CaptureQueriesContext(connection) as captured:
        response = clients[page.username].get(url)
    return Measured(page=page, url=url, status=response.status_code, queries=len(captured))


def logged_in_clients() -> dict[str, Client]:
    """A client logged in as each demo login (forced, so no password hashing is counted)."""
    users = get_user_model()
    clients = {}
    for username in (MOD, MEMBER):
        client = Client()
        client.force_login(users.objects.get(username=username))
        clients[username] = client
    return clients


def measure_all(community: Community | None = None) -> list[Measured]:
    community = community or Community.objects.get(slug=DEMO_SLUG)
    clients = logged_in_clients()
    # One warm-up request each: the first request of a process fills caches (content types,
    # the site's settings) that a person's later requests never pay for again.
    for page in (PAGES[0], PAGES[1]):
        measure(page, community, clients)
    return [measure(page, community, clients) for page in PAGES]
