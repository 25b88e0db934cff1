"""The demo's main pages, as each role meets them: the list the accessibility tests run axe-core
on and `make screenshots` photographs (scripts/screenshots.py), so both cover the same pages.

A page is named for people and files alike (``moderator-needs-you``); its address is worked
out from the demo's own rows (the open incident, a member with charges), so it follows the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from budgets.models import Charge
from community.contract.releases.models import Canary, CanaryStatus
from community.contract.replay.models import Replay
from community.models import Community
from demo.context import DEMO_SLUG, MEMBER_USERNAME, MODERATOR_USERNAME
from incidents.gamedays.models import GameDay
from incidents.models import Incident, IncidentStatus

VISITOR = "visitor"
MEMBER = "member"
MODERATOR = "moderator"
ROLES = (VISITOR, MEMBER, MODERATOR)
# Who logs in for each role (the visitor does not).
USERNAMES = {MEMBER: MEMBER_USERNAME, MODERATOR: MODERATOR_USERNAME}


@dataclass(frozen=True)
class TourPage:
    role: str
    name: str
    path: str

    @property
    def slug(self) -> str:
        """``moderator-needs-you``: the screenshot's file name and the test's id."""
        return f"{self.role}-{self.name}"


def _c(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"slug": DEMO_SLUG, **kwargs})


def main_pages(community: Community | None = None) -> list[TourPage]:
    """Every main page for each role, in the order a person would meet them."""
    community = community or Community.objects.get(slug=DEMO_SLUG)
    open_incident = (
        Incident.objects.filter(community=community)
        .exclude(status=IncidentStatus.RESOLVED)
        .order_by("pk")
        .first()
    )
    resolved_incident = (
        Incident.objects.filter(community=community, status=IncidentStatus.RESOLVED)
        .order_by("pk")
        .first()
    )
    charged = (
        Charge.objects.filter(membership__community=community, membership__user__isnull=False)
        .order_by("pk")
        .values_list("membership_id", flat=True)
        .first()
    )
    shared = [
        ("contract", _c("contract:page")),
        ("status", _c("incidents:status")),
    ]
    trials = Canary.objects.filter(community=community).order_by("pk")
    rolled_back = trials.filter(status=CanaryStatus.ROLLED_BACK).first()
    promoted = trials.filter(status=CanaryStatus.PROMOTED).first()
    running = trials.filter(status=CanaryStatus.RUNNING).first()
    releases = [("releases", _c("releases:index")), ("council", _c("releases:council"))]
    if rolled_back is not None:
        releases.append(("trial-rolled-back", _c("releases:canary", pk=rolled_back.pk)))
    if promoted is not None:
        releases.append(("trial-promoted", _c("releases:canary", pk=promoted.pk)))
    if running is not None:
        releases.append(("trial-running", _c("releases:canary", pk=running.pk)))
    releases.append(("release-health", _c("releases:health", number=2)))
    # The replay form, and each replay the demo keeps (a clause's, a budget policy's).
    replays = [("replay-form", _c("replay:new"))] + [
        (f"replay-{n}", _c("replay:detail", pk=pk))
        for n, pk in enumerate(
            Replay.objects.filter(community=community)
            .kept()
            .order_by("pk")
            .values_list("pk", flat=True)[:2],
            start=1,
        )
    ]
    pages = [
        TourPage(VISITOR, "communities", reverse("community:index")),
        TourPage(VISITOR, "community", _c("community:home")),
        *(TourPage(VISITOR, name, path) for name, path in shared),
        TourPage(VISITOR, "log-in", reverse("login")),
        TourPage(MEMBER, "home", _c("community:home")),
        *(TourPage(MEMBER, name, path) for name, path in shared),
        TourPage(MEMBER, "contract-versions", _c("contract:versions")),
        *(TourPage(MEMBER, name, path) for name, path in releases),
        TourPage(MEMBER, "my-budget", _c("budgets:my-budget")),
        TourPage(MEMBER, "notifications", _c("community:notifications")),
        TourPage(MEMBER, "notification-choices", _c("community:notification-preferences")),
        TourPage(MODERATOR, "needs-you", _c("community:home")),
        TourPage(MODERATOR, "incidents", _c("incidents:board")),
    ]
    if open_incident is not None:
        pages += [
            TourPage(MODERATOR, "war-room", _c("incidents:detail", pk=open_incident.pk)),
            TourPage(MODERATOR, "resolve", _c("incidents:resolve", pk=open_incident.pk)),
        ]
    if resolved_incident is not None:
        pages.append(
            TourPage(
                MODERATOR, "resolved-incident", _c("incidents:detail", pk=resolved_incident.pk)
            )
        )
    pages += [
        TourPage(MODERATOR, "incident-metrics", _c("incidents:metrics")),
        TourPage(MODERATOR, "flow-health", _c("boards:flow")),
        TourPage(MODERATOR, "change-safety", _c("boards:change")),
        TourPage(MODERATOR, "fairness", _c("boards:fairness")),
        TourPage(MODERATOR, "runbooks", _c("incidents:runbooks")),
        TourPage(MODERATOR, "game-days", _c("gamedays:index")),
    ]
    game_day = GameDay.objects.filter(community=community).order_by("pk").first()
    if game_day is not None:
        pages.append(TourPage(MODERATOR, "game-day", _c("gamedays:detail", pk=game_day.pk)))
    pages += [
        TourPage(MODERATOR, "members", _c("budgets:table")),
    ]
    if charged is not None:
        pages.append(TourPage(MODERATOR, "member-budget", _c("budgets:member", pk=charged)))
    pages += [
        TourPage(MODERATOR, "appeals", _c("budgets:appeals")),
        TourPage(MODERATOR, "budget-policy", _c("budgets:policy")),
        *(TourPage(MODERATOR, name, path) for name, path in shared),
        TourPage(MODERATOR, "contract-editor", _c("contract:edit")),
        TourPage(MODERATOR, "new-clause", _c("contract:clause-new")),
        TourPage(MODERATOR, "replays", _c("replay:list")),
        *(TourPage(MODERATOR, name, path) for name, path in replays),
        TourPage(MODERATOR, "contract-versions", _c("contract:versions")),
        TourPage(MODERATOR, "contract-version", _c("contract:version", number=1)),
        TourPage(MODERATOR, "contract-changes", _c("contract:diff") + "?from=1&to=2"),
        *(TourPage(MODERATOR, name, path) for name, path in releases),
        TourPage(MODERATOR, "notifications", _c("community:notifications")),
        TourPage(MODERATOR, "settings", _c("community:settings")),
        TourPage(MODERATOR, "integrations", _c("integrations:page")),
    ]
    return pages
