"""Every page of the demo, as each role sees it, is in plain words.

The demo community is built once for the module, inside a transaction that is rolled back at the
end. Each role (the moderator, the member, a signed-in visitor with no membership, and someone
not signed in) opens every page the URL configuration has, filled with the demo's own objects,
and every page linked from those (``href`` and ``hx-get``) up to a few of each kind. The visible
text of each page (tags, scripts and styles stripped; ``title``, ``aria-label`` and the values
of text inputs kept, since people read those too) must hold no stored identifier and no
unrounded number.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models.enums import Choices
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from budgets.budget_math import Action
from budgets.models import Charge
from community.contract.releases.models import Canary
from community.contract.replay.models import Replay
from community.contract.slo import DEFAULT_ALERT_RULES
from community.models import Clause, ContractVersion, ExternalIdentity, Membership
from community.words import FLAG_CATEGORY_WORDS
from config.celery import app as celery_app
from demo import context as demo_context
from demo.build import build as build_demo
from incidents.gamedays.models import GameDay
from incidents.models import Incident
from tests.test_authorization_matrix import PAGES, addresses

VISITOR = "visitor"
ROLES = ("moderator", "member", VISITOR, "anonymous")
# Pages a person reads (HTML). The rest of the URL configuration answers machines: JSON, YAML,
# Prometheus text, the admin (Django's own), or the API's interactive docs.
MACHINE_PAGES = {"healthz", "readyz", "metrics", "schema", "api-docs", "contract:clause-openslo"}
# Every kind of page is opened at most this many times per role (300 members' budget pages
# would add nothing a few do not show).
PER_KIND = 3
MAX_PAGES_PER_ROLE = 250
# The module's fixture builds the demo in its own transaction; the mark makes the test database.
pytestmark = pytest.mark.django_db

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
DOTTED = re.compile(r"\b[a-z]+\.[a-z]+_[a-z_]+\b")
POST_ID = re.compile(r"\b(?:post|topic|p|t)-\d+\b")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
UNROUNDED = re.compile(r"\d+\.\d{3,}")
TEXT_INPUTS = {"text", "number", "search", ""}


class _VisibleText(HTMLParser):
    """The words a person reads: text outside scripts and styles, plus the attributes that a
    screen reader or a tooltip reads out and the values already typed into text inputs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag in ("script", "style", "template"):
            self._skip += 1
        for name in ("title", "aria-label", "placeholder", "alt"):
            if found.get(name):
                self.parts.append(found[name])
        if tag == "input" and found.get("type", "") in TEXT_INPUTS and found.get("value"):
            self.parts.append(found["value"])
        for name in ("href", "hx-get"):
            if found.get(name):
                self.links.append(found[name])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


@dataclass(frozen=True)
class Seen:
    role: str
    url: str
    view: str
    text: str


@dataclass(frozen=True)
class Demo:
    pages: list[Seen]
    # People's names as the forum spells them (``hal_rivers``): names, not identifiers.
    usernames: frozenset[str]


def _stored_identifiers() -> set[str]:
    """Every stored value people could be shown raw: each choice of every model field, the tier
    actions, the flag categories and the alert rules' names. Plain words among them
    (``post``, ``warning``) read fine and are left out: only the ones a person would not write
    (``off_topic``, ``budget.member_cooldown``, ``SEV2`` is a label and fine) are looked for."""
    values: set[str] = set()
    for choices in _all_choices():
        values.update(str(value) for value in choices.values)
    values.update(Action.ALL)
    values.update(FLAG_CATEGORY_WORDS)
    values.update(rule.name for rule in DEFAULT_ALERT_RULES)
    return {value for value in values if re.search(r"[_.]", value)}


OUR_APPS = {"community", "budgets", "incidents", "integrations"}


def _all_choices() -> Iterator[type[Choices]]:
    """Every ``TextChoices`` / ``IntegerChoices`` our apps define."""
    seen: set[type[Choices]] = set()
    stack: list[type[Any]] = [models.TextChoices, models.IntegerChoices]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.split(".")[0] in OUR_APPS and sub not in seen:
                seen.add(sub)
                yield sub


def _first_urls(community_slug: str) -> list[str]:
    """Every page of the URL configuration, filled with the demo's objects."""
    clause = Clause.objects.filter(community__slug=community_slug).order_by("pk").first()
    version = ContractVersion.objects.filter(contract__community__slug=community_slug)
    member = Membership.objects.get(
        community__slug=community_slug, user__username=demo_context.MEMBER_USERNAME
    )
    charge = Charge.objects.filter(community__slug=community_slug).order_by("pk")
    own_charge = Charge.objects.filter(membership=member).order_by("pk").first()
    incidents = list(Incident.objects.filter(community__slug=community_slug).order_by("pk"))
    fills: dict[str, list[dict[str, Any]]] = {
        "contract:version": [{"number": v.number} for v in version],
        "contract:clause-edit": [{"pk": clause.pk}] if clause else [],
        "replay:detail": [
            {"pk": r.pk} for r in Replay.objects.filter(community__slug=community_slug).kept()
        ],
        "budgets:member": [{"pk": member.pk}],
        "budgets:appeal": [{"pk": c.pk} for c in (own_charge, charge.first()) if c],
        "incidents:detail": [{"pk": i.pk} for i in incidents],
        "incidents:resolve": [{"pk": i.pk} for i in incidents],
        # Starting a postmortem: the page shows for an incident that has none yet.
        "postmortems:start": [{"pk": i.pk} for i in incidents],
        "gamedays:detail": [
            {"pk": g.pk} for g in GameDay.objects.filter(community__slug=community_slug)
        ],
        "releases:canary": [
            {"pk": c.pk} for c in Canary.objects.filter(community__slug=community_slug)
        ],
        "releases:health": [{"number": v.number} for v in version],
    }
    urls: list[str] = []
    for address in addresses():
        page = PAGES.get(address.name)
        if page is None or page.method != "GET" or address.name in MACHINE_PAGES:
            continue
        if address.name == "community:create" or not address.named:
            urls_for = [{}] if not address.kwargs else []
        else:
            urls_for = fills.get(address.name, [{}])
        for kwargs in urls_for:
            if "slug" in address.kwargs:
                kwargs = {"slug": community_slug, **kwargs}
            if "community_slug" in address.kwargs:
                kwargs = {"community_slug": community_slug, **kwargs}
            try:
                url = reverse(address.name, kwargs=kwargs)
            except NoReverseMatch:
                continue
            if address.name == "contract:diff":
                url += "?from=1&to=2"
            urls.append(url)
    return urls


def _view_name(url: str) -> str | None:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    return match.view_name


def _read(client: Client, role: str, start: list[str]) -> list[Seen]:
    seen: list[Seen] = []
    queue = list(start)
    visited: set[str] = set()
    per_kind: Counter[str] = Counter()
    while queue and len(seen) < MAX_PAGES_PER_ROLE:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        view = _view_name(url)
        if view is None or view.startswith(("admin:", "api:")) or view in MACHINE_PAGES:
            continue
        if view == "logout" or (per_kind[view] >= PER_KIND and url not in start):
            continue
        per_kind[view] += 1
        response = client.get(url)
        if response.status_code >= 500 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _VisibleText()
        parser.feed(response.content.decode())
        seen.append(Seen(role, url, view, " ".join(" ".join(parser.parts).split())))
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Demo:
    """The demo, built once and read by every role; nothing of it is left behind."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    pages: list[Seen] = []
    with django_db_blocker.unblock(), transaction.atomic():
        community = build_demo(log=lambda line: None)
        visitor = User.objects.create_user(VISITOR, "visitor@example.org", "visitor-pass-1")
        usernames = frozenset(
            ExternalIdentity.objects.filter(community=community).values_list("username", flat=True)
        ) | frozenset(User.objects.values_list("username", flat=True))
        start = _first_urls(community.slug)
        for role in ROLES:
            client = Client()
            if role == "moderator":
                client.force_login(User.objects.get(username=demo_context.MODERATOR_USERNAME))
            elif role == "member":
                client.force_login(User.objects.get(username=demo_context.MEMBER_USERNAME))
            elif role == VISITOR:
                client.force_login(visitor)
            pages.extend(_read(client, role, start))
        transaction.set_rollback(True)
    celery_app.conf.task_always_eager = False
    return Demo(pages, usernames)


def test_every_page_of_the_url_configuration_is_read(demo: Demo) -> None:
    read = {page.view for page in demo.pages}
    wanted = {
        name
        for name, page in PAGES.items()
        if page.method == "GET"
        and name not in MACHINE_PAGES
        and not name.startswith(("admin:", "api:"))
        and name not in {"password_reset_confirm"}
    }
    assert wanted - read == set()
    per_role = Counter(page.role for page in demo.pages)
    assert set(per_role) == set(ROLES) and min(per_role.values()) > 30, per_role
    # The links were followed too: moderators reached other members' budgets from the table.
    members = {p.url for p in demo.pages if p.role == "moderator" and p.view == "budgets:member"}
    assert len(members) == PER_KIND


def test_no_page_shows_a_stored_identifier(demo: Demo) -> None:
    identifiers = _stored_identifiers()
    found: set[str] = set()
    for page in demo.pages:
        # A notice's placeholders (``{ends_at}``) are the syntax its form explains, not data.
        text = PLACEHOLDER.sub(" ", page.text)
        tokens = set(SNAKE.findall(text)) | set(DOTTED.findall(text)) | set(POST_ID.findall(text))
        raw = {token for token in tokens if token not in demo.usernames} | {
            i for i in identifiers if re.search(rf"(?<![\w.-]){re.escape(i)}(?![\w-])", text)
        }
        found.update(
            f"{page.role} {page.url}: {token} in “{_around(page.text, token)}”" for token in raw
        )
    assert not found, "\n".join(sorted(found))


def test_no_page_shows_an_unrounded_number(demo: Demo) -> None:
    found = {
        f"{page.role} {page.url}: {number} in “{_around(page.text, number)}”"
        for page in demo.pages
        for number in UNROUNDED.findall(page.text)
    }
    assert not found, "\n".join(sorted(found))


def _around(text: str, token: str) -> str:
    at = text.find(token)
    return text[max(0, at - 50) : at + len(token) + 30]
