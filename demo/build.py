"""Build the demo community, *Allotment Commons* (`manage.py seed_demo`): how people first meet
each feature.

The steps run in the order below, each building on the ones before. Every step is idempotent, so
running the command twice changes nothing, and randomness is seeded, so every machine builds the
same community. Nothing in the apps imports this package: it imports them.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.utils import timezone

from community.language import set_community_language
from community.models import Community, Role, Visibility
from community.services import set_role
from demo import (
    boards,
    budgets,
    circle,
    community,
    contract,
    gamedays,
    incidents,
    integrations,
    moderators_day,
    postmortems,
    releases,
    replays,
)
from demo.context import (
    DEMO_PASSWORD,
    DEMO_SLUG,
    MEMBER_USERNAME,
    MODERATOR_USERNAME,
    SECOND_MODERATOR_USERNAME,
    DemoContext,
)

DemoStep = Callable[[DemoContext], None]
STEPS: list[tuple[str, DemoStep]] = [
    ("members, spaces and 60 days of conduct events", community.seed_spine),
    ("social contract: two versions, acknowledgements, a month of history", contract.seed_contract),
    ("forgiveness budgets: charges, recalculation, appeals", budgets.seed_budgets),
    ("incidents: runbooks, incidents, a member report", incidents.seed_incidents),
    (
        "replays: a stricter clause with Runbook A and a stricter budget policy, on 30 days",
        replays.seed_replays,
    ),
    (
        "the moderator's day: a facilitator offer, appeals waiting for hours and days",
        moderators_day.seed_moderators_day,
    ),
    (
        "postmortems: one published with a verified guardrail, one in draft",
        postmortems.seed_postmortems,
    ),
    (
        "circles: a finished circle with its charges forgiven, one with an invitation open",
        circle.seed_circles,
    ),
    ("boards: new members whose charges the fairness board flags", boards.seed_boards),
    ("game days: a finished rehearsal of Runbook A with its report", gamedays.seed_game_days),
    (
        "releases: a trial rolled back by the flame war, a council that ratified version 2",
        releases.seed_releases,
    ),
    ("boards: the fairness figures counted, as the hourly task leaves them", boards.count_fairness),
    ("integrations: Discourse connection and outbound webhooks", integrations.seed_integrations),
]


def build(log: Callable[[str], None], *, language: str = "en") -> Community:
    """Build (or top up) the demo community and run every step. ``language`` is the
    community's default (``seed_demo --language ko``: its notices are then written in Korean)."""
    users = get_user_model()
    community = Community.objects.filter(slug=DEMO_SLUG).first()
    created = community is None
    if community is None:
        community = Community.objects.create(
            slug=DEMO_SLUG,
            name="Allotment Commons",
            description=(
                "A forum for community gardeners: growing tips, plot swaps and proposals for "
                "the shared plots. Run with a social contract and forgiveness budgets."
            ),
            visibility=Visibility.PUBLIC,
            default_language=language,
        )
    elif community.default_language != language:
        set_community_language(
            community=community,
            default_language=language,
            allow_browser_language=community.allow_browser_language,
        )
    for username, role in (
        (MODERATOR_USERNAME, Role.MODERATOR),
        (MEMBER_USERNAME, Role.MEMBER),
        (SECOND_MODERATOR_USERNAME, Role.MODERATOR),
    ):
        user = users.objects.filter(username=username).first()
        if user is None:
            # Only the two published logins have a password; the second moderator (who hands
            # an incident over to the demo moderator) cannot log in.
            published = username in (MODERATOR_USERNAME, MEMBER_USERNAME)
            user = users.objects.create_user(
                username=username,
                email=f"{username}@example.org",
                password=DEMO_PASSWORD if published else None,
            )
        set_role(community=community, user=user, role=role)
    context = DemoContext(
        community=community,
        now=timezone.now(),
        rng=random.Random(20261123),
        created=created,
        log=log,
    )
    for name, step in STEPS:
        log(f"demo step: {name}")
        step(context)
    return community
