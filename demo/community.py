"""Demo step 1: members, spaces and 60 days of conduct events, ingested like a forum's."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from community.models import Membership
from community.services import EventInput, ingest_events, upsert_identities
from demo.context import (
    DAYS,
    DEMO_FORUM,
    DEMO_SOURCE,
    MEMBER_COUNT,
    MEMBER_USERNAME,
    DemoContext,
)

SPACES = [
    ("1", "Announcements", 0.04),
    ("2", "Growing Tips", 0.34),
    ("3", "Plot Swaps", 0.14),
    ("5", "Proposals", 0.16),
    ("7", "Off-topic Lounge", 0.24),
    ("9", "Site Feedback", 0.08),
]
FLAG_CATEGORIES = [("inappropriate", 0.55), ("off_topic", 0.35), ("spam", 0.08), ("illegal", 0.02)]
FIRST = [
    "ada",
    "bea",
    "cal",
    "dev",
    "eli",
    "fay",
    "gus",
    "hal",
    "ivy",
    "jo",
    "kai",
    "lee",
    "max",
    "nia",
    "oli",
    "pia",
    "quin",
    "rae",
    "sam",
    "tia",
    "uma",
    "vic",
    "wren",
    "xan",
    "yara",
    "zed",
]
# The words of flagged posts, as a forum sends them with the flag (the appeals queue shows them).
FLAGGED_WORDS = [
    "Honestly, if you can't keep your beans off my path, maybe find another plot.",
    "This is the third time I've asked. Does anyone on the committee actually read this?",
    "Buy my seed mix, best prices anywhere, link in my profile!",
    "Not about gardening, but has anyone seen the match last night?",
    "Whoever moved the shared wheelbarrow again: grow up.",
    "Slugs are winning. I'm giving up on lettuces and on this forum's advice.",
]
LAST = ["rivers", "oak", "fern", "moss", "stone", "brook", "hill", "marsh", "reed", "vale"]


def _username(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]}_{LAST[(i // len(FIRST)) % len(LAST)]}{i // 250 or ''}"


def seed_spine(ctx: DemoContext) -> None:
    community, rng = ctx.community, ctx.rng
    if community.events.filter(source=DEMO_SOURCE).exists():
        ctx.log("  events already present: nothing to add")
        return
    identities = {str(1000 + i): _username(i) for i in range(MEMBER_COUNT)}
    upsert_identities(community=community, source=DEMO_SOURCE, identities=identities)
    # The member login is the forum account 1007 (claimed), so their budget has a history.
    member_user = get_user_model().objects.get(username=MEMBER_USERNAME)
    own = Membership.objects.get(community=community, user=member_user)
    forum = Membership.objects.get(identities__external_id="1007", community=community)
    if own.pk != forum.pk and forum.user_id is None:
        own.delete()
        forum.user = member_user
        forum.save(update_fields=["user"])

    # Activity follows a long tail: a few prolific regulars, many occasional posters.
    weights = [1.0 / (1 + i) ** 0.8 for i in range(MEMBER_COUNT)]
    member_ids = list(identities)
    start = ctx.now - timedelta(days=DAYS)
    events: list[EventInput] = []
    post_ids: list[tuple[str, str, str, datetime]] = []
    for n in range(6000):
        author = rng.choices(member_ids, weights)[0]
        space = rng.choices(SPACES, [s[2] for s in SPACES])[0]
        at = start + timedelta(seconds=rng.uniform(0, DAYS * 86400 - 3600))
        pid = f"post-{n}"
        post_ids.append((pid, author, space[0], at))
        events.append(
            replace(forum_event(pid, "post", at, author, space, subject=pid), recorded_at=at)
        )
    # Friction: about 2 % of posts draw an upheld flag; a handful of rejected flags and warnings.
    # A small group of "hot" members carry more of it, so every budget tier is represented.
    hot = set(member_ids[3:9]) | set(rng.sample(member_ids[20:], 14))
    for n, (pid, author, space_id, at) in enumerate(post_ids):
        space = next(s for s in SPACES if s[0] == space_id)
        odds = 0.16 if author in hot else 0.008
        if rng.random() < odds:
            category = rng.choices(
                [c for c, _ in FLAG_CATEGORIES], [w for _, w in FLAG_CATEGORIES]
            )[0]
            flagged = at + timedelta(minutes=rng.randint(2, 240))
            raised = forum_event(f"flag-{n}", "flag_raised", flagged, author, space, pid, category)
            events.append(replace(raised, recorded_at=flagged))
            decided = flagged + timedelta(hours=rng.randint(1, 30))
            if decided < ctx.now:
                kind = "flag_upheld" if rng.random() < 0.85 else "flag_rejected"
                review = forum_event(f"review-{n}", kind, at, author, space, pid, category)
                payload = {
                    "flag_types": [category],
                    "post_text": FLAGGED_WORDS[n % len(FLAGGED_WORDS)],
                    "post_url": f"{DEMO_FORUM}/p/{n}",
                }
                events.append(replace(review, recorded_at=decided, payload=payload))
        elif author in hot and rng.random() < 0.01:
            events.append(
                forum_event(f"warn-{n}", "moderator_warning", at, author, space, pid, "", "minor")
            )
    result = ingest_events(community=community, events=events, source=DEMO_SOURCE)
    ctx.log(f"  stored {result.accepted} events ({result.duplicates} already present)")


def forum_event(
    external_id: str,
    kind: str,
    at: datetime,
    author: str,
    space: tuple[str, str, float],
    subject: str = "",
    category: str = "",
    severity: str = "",
) -> EventInput:
    return EventInput(
        external_id=external_id,
        kind=kind,
        occurred_at=at,
        member_external_id=author,
        space_external_id=space[0],
        space_name=space[1],
        subject=subject,
        category=category,
        severity=severity,
    )
