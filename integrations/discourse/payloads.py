"""Pure functions from Discourse webhook JSON to conduct events (``EventInput``s).

No database and no HTTP here: the service looks up what these functions need (when the post was
written, whether a flag on it was upheld before, the review detail fetched from the forum) and
passes it in. Shapes follow the real payloads kept in tests/integrations/fixtures/.

Spaces: a post belongs to its *topic* (space kind ``topic``, external id ``topic:<id>``), whose
parent is the topic's category (``category:<id>``, or the space a moderator mapped it to). That
way cooldowns, which Discourse applies per topic, land on the space where the heat is.

Every field is read through ``fields``: a delivery is stored before it is read, so a field that
does not fit our columns is shortened, left out or refused here (and the note says which), never
left to fail at the database on every attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from community.models import SpaceKind
from community.services import EventInput
from community.vocabulary import EventKind
from integrations.discourse import fields
from integrations.discourse.fields import dicts, forum_id, parse_time

# Reviewable.statuses in Discourse.
PENDING, APPROVED, REJECTED, IGNORED, DELETED = 0, 1, 2, 3, 4
STATUS_NAMES = {
    "pending": PENDING,
    "approved": APPROVED,
    "rejected": REJECTED,
    "ignored": IGNORED,
    "deleted": DELETED,
}
# PostActionType ids, for score types that arrive as ids only.
FLAG_TYPE_IDS = {
    3: "off_topic",
    4: "inappropriate",
    6: "notify_user",
    7: "notify_moderators",
    8: "spam",
    10: "illegal",
}
SEVERITY_RANK = {"minor": 0, "moderate": 1, "severe": 2}
# Discourse post_type 3 is a "small action" (the system noting "closed this topic" and the like).
SMALL_ACTION = 3


@dataclass(frozen=True)
class TopicRef:
    topic_id: str
    title: str = ""
    category_id: str = ""
    category_name: str = ""


@dataclass
class Parsed:
    """What one delivery means: events to ingest, identities and topics to upsert."""

    events: list[EventInput] = field(default_factory=list)
    identities: dict[str, str] = field(default_factory=dict)
    topics: list[TopicRef] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class ReviewFacts:
    """What the adapter knows about a reviewable after merging the webhook and review detail."""

    reviewable_id: str
    status: int
    version: str
    post_id: str
    topic_id: str
    category_id: str
    author_id: str
    author_username: str
    flag_types: list[str]
    flaggers: list[str]
    created_at: datetime | None
    is_flagged_post: bool
    # The flagged post's words as the forum sent them (shown to the moderator deciding an appeal).
    post_text: str = ""


def topic_space_id(topic_id: Any) -> str:
    return f"topic:{topic_id}"


def category_space_id(category_id: Any) -> str:
    return f"category:{category_id}"


def post_external_id(post_id: Any) -> str:
    return f"post:{post_id}"


def topic_id_of(external_id: str) -> str | None:
    """The Discourse topic id behind a space's external id (``topic:123``, ``t/123`` or ``123``)."""
    value = external_id.strip()
    for prefix in ("topic:", "t/", "topic-"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    return value if value.isdigit() else None


def same_instance(header: str | None, base_url: str) -> bool:
    """Discourse names itself in ``X-Discourse-Instance`` (its base URL, no trailing slash)."""
    if not header:
        return False
    return header.strip().rstrip("/").lower() == base_url.strip().rstrip("/").lower()


class Notes:
    """What was changed or left out while reading a delivery, for its note."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def name(self, what: str, value: Any, limit: int) -> str:
        text, changed = fields.display_name(value, limit)
        if changed:
            self.items.append(f"{what} {changed}")
        return text

    def username(self, value: Any) -> str:
        text, problem = fields.username(value)
        if problem:
            self.items.append(f"username not stored (it {problem})")
        return text

    def say(self, note: str) -> str:
        return "; ".join([note, *self.items] if note else self.items)


# --- Posts and topics -------------------------------------------------------------------------


def parse_post(
    event_name: str, post: dict[str, Any], *, received_at: datetime, include_private: bool
) -> Parsed:
    post_id = forum_id(post.get("id"))
    if post_id is None:
        return Parsed(note="post without a usable id: nothing to record")
    if post.get("topic_archetype") == "private_message" and not include_private:
        return Parsed(note="private message: ignored (see the connection settings)")
    notes = Notes()
    user_id = forum_id(post.get("user_id"))
    identities = {user_id: notes.username(post.get("username"))} if user_id else {}
    username = identities.get(user_id or "", "")
    topic = TopicRef(
        topic_id=forum_id(post.get("topic_id")) or "",
        title=notes.name("topic title", post.get("topic_title"), fields.SPACE_NAME_MAX),
        category_id=forum_id(post.get("category_id")) or "",
        category_name=notes.name("category name", post.get("category_slug"), fields.SPACE_NAME_MAX),
    )
    if event_name == "post_destroyed":
        # A deleted post is not evidence of friction: a moderator's removal arrives as a
        # reviewable decision. The post itself stays counted as activity.
        return Parsed(
            identities=identities, topics=[topic], note=notes.say("post deleted on the forum")
        )
    if post.get("post_type") == SMALL_ACTION:
        return Parsed(topics=[topic], note=notes.say("forum system notice: not member activity"))
    external_id = post_external_id(post_id)
    event = EventInput(
        external_id=external_id,
        kind=EventKind.POST,
        occurred_at=parse_time(post.get("created_at")) or received_at,
        member_external_id=user_id or "",
        member_username=username,
        space_external_id=topic_space_id(topic.topic_id) if topic.topic_id else "",
        space_name=topic.title,
        space_kind=SpaceKind.TOPIC,
        subject=external_id,
        payload={
            "post_number": fields.plain_int(post.get("post_number")),
            "topic_id": fields.plain_int(post.get("topic_id")),
            "reply_to_post_number": fields.plain_int(post.get("reply_to_post_number")),
            # The author's forum trust level (0-4), for the fairness board's trust cohorts.
            "trust_level": fields.plain_int(post.get("trust_level")),
        },
    )
    return Parsed(events=[event], identities=identities, topics=[topic], note=notes.say(""))


def parse_topic(topic: dict[str, Any]) -> Parsed:
    topic_id = forum_id(topic.get("id"))
    if topic_id is None:
        return Parsed(note="topic without a usable id: nothing to record")
    notes = Notes()
    identities: dict[str, str] = {}
    creator = topic.get("created_by")
    creator_id = forum_id(creator.get("id")) if isinstance(creator, dict) else None
    if isinstance(creator, dict) and creator_id:
        identities[creator_id] = notes.username(creator.get("username"))
    ref = TopicRef(
        topic_id=topic_id,
        title=notes.name(
            "topic title", topic.get("title") or topic.get("fancy_title"), fields.SPACE_NAME_MAX
        ),
        category_id=forum_id(topic.get("category_id")) or "",
    )
    if topic.get("archetype") == "private_message":
        return Parsed(identities=identities, note=notes.say("private message topic: ignored"))
    return Parsed(identities=identities, topics=[ref], note=notes.say("topic recorded as a space"))


# --- Users ------------------------------------------------------------------------------------


def parse_user(event_name: str, user: dict[str, Any], *, received_at: datetime) -> Parsed:
    user_id = forum_id(user.get("id"))
    if user_id is None:
        return Parsed(note="user without a usable id: nothing to record")
    notes = Notes()
    username = notes.username(user.get("username"))
    parsed = Parsed(identities={user_id: username})
    if event_name in ("user_suspended", "user_unsuspended"):
        kind = (
            EventKind.USER_SUSPENDED
            if event_name == "user_suspended"
            else EventKind.USER_UNSUSPENDED
        )
        at = parse_time(user.get("suspended_at")) if kind == EventKind.USER_SUSPENDED else None
        at = at or received_at
        parsed.events.append(
            EventInput(
                external_id=f"user:{user_id}:{event_name}:{at.isoformat()}",
                kind=kind,
                occurred_at=at,
                member_external_id=user_id,
                member_username=username,
                subject=f"user:{user_id}",
                payload={
                    "suspended_till": fields.free_text(user.get("suspended_till")),
                    "suspend_reason": fields.free_text(user.get("suspend_reason")),
                },
            )
        )
        parsed.note = notes.say("suspension recorded (it causes nothing here)")
    else:
        parsed.note = notes.say("identity updated")
    return parsed


# --- Reviewables (flags) ----------------------------------------------------------------------


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in STATUS_NAMES.values() else None
    if isinstance(value, str):
        number = forum_id(value)
        if number is not None:
            return _status(int(number))
        return STATUS_NAMES.get(value)
    return None


def _score_flag_type(score: dict[str, Any]) -> str | None:
    score_type = score.get("score_type")
    if isinstance(score_type, dict):
        if score_type.get("type"):
            return fields.flag_type(score_type["type"]) or "custom"
        type_id = fields.plain_int(score_type.get("id"))
        if type_id is not None:
            return FLAG_TYPE_IDS.get(type_id, "custom")
    type_id = fields.plain_int(score.get("score_type_id", score.get("reviewable_score_type")))
    if type_id is not None:
        return FLAG_TYPE_IDS.get(type_id, "custom")
    return None


def _name(value: Any) -> str:
    return fields.username(value)[0]


def review_facts(reviewable: dict[str, Any], detail: dict[str, Any] | None) -> ReviewFacts | None:
    """Merge a webhook's reviewable with the ``GET /review/{id}.json`` detail (if fetched).

    The webhook serialises associations as ids (``created_by_id``, ``target_created_by_id``,
    ``reviewable_score_ids``); the detail sideloads ``users`` and ``reviewable_scores``.
    """
    merged = dict(reviewable)
    users: dict[str, str] = {}
    scores = dicts(reviewable.get("reviewable_scores"))
    if detail:
        inner = detail.get("reviewable")
        if isinstance(inner, dict):
            merged = {**inner, **{k: v for k, v in reviewable.items() if v is not None}}
        for user in dicts(detail.get("users")):
            user_id = forum_id(user.get("id"))
            if user_id:
                users[user_id] = _name(user.get("username"))
        scores += dicts(detail.get("reviewable_scores"))
    status = _status(merged.get("status"))
    reviewable_id = forum_id(merged.get("id"))
    if status is None or reviewable_id is None:
        return None
    author = merged.get("target_created_by")
    if isinstance(author, dict):
        author_id, author_name = forum_id(author.get("id")), _name(author.get("username"))
    else:
        author_id = forum_id(merged.get("target_created_by_id"))
        author_name = users.get(author_id or "", "")
    flagger = merged.get("created_by")
    flaggers: list[str] = []
    if isinstance(flagger, dict) and _name(flagger.get("username")):
        flaggers.append(_name(flagger.get("username")))
    for score in scores:
        scorer = score.get("user")
        name = _name(scorer.get("username")) if isinstance(scorer, dict) else ""
        name = name or users.get(forum_id(score.get("user_id")) or "", "")
        if name and name not in flaggers:
            flaggers.append(name)
    if not flaggers:
        name = users.get(forum_id(merged.get("created_by_id")) or "", "")
        if name:
            flaggers.append(name)
    flag_types: list[str] = []
    for score in scores:
        flag_type = _score_flag_type(score)
        if flag_type and flag_type not in flag_types:
            flag_types.append(flag_type)
    target_id = merged.get("post_id")
    if target_id is None and merged.get("target_type") == "Post":
        target_id = merged.get("target_id")
    return ReviewFacts(
        reviewable_id=reviewable_id,
        status=status,
        version=forum_id(merged.get("version", 0)) or "0",
        post_id=forum_id(target_id) or "",
        topic_id=forum_id(merged.get("topic_id") or merged.get("removed_topic_id")) or "",
        category_id=forum_id(merged.get("category_id")) or "",
        author_id=author_id or "",
        author_username=author_name,
        flag_types=flag_types,
        flaggers=flaggers,
        created_at=parse_time(merged.get("created_at")),
        is_flagged_post=merged.get("type") in (None, "ReviewableFlaggedPost"),
        post_text=fields.free_text(merged.get("raw")) or "",
    )


def needs_review_detail(reviewable: dict[str, Any]) -> bool:
    """True when the webhook alone cannot say which flag it is or whom it is about."""
    facts = review_facts(reviewable, None)
    if facts is None or not facts.is_flagged_post:
        return False
    return not facts.flag_types or not facts.author_id


def parse_reviewable(
    event_name: str,
    facts: ReviewFacts,
    *,
    severity_for: Callable[[str], str],
    post_occurred_at: datetime | None,
    upheld_before: bool,
    received_at: datetime,
    forum_url: str = "",
) -> Parsed:
    """A flag's state as a conduct event.

    pending -> ``flag_raised``; approved -> ``flag_upheld`` charged to the post's *author*, with
    the flag type as category; rejected -> ``flag_rejected``; ignored or deleted -> nothing,
    unless a flag on the post was upheld before, in which case it is a reversal
    (``flag_rejected`` on the same subject, so the budgets capability reverses the charge).
    The payload keeps the post's words and, given the connected forum's address, a link to it.
    """
    if not facts.is_flagged_post:
        return Parsed(note="a review item that is not a flagged post: stored only")
    if not facts.post_id or not facts.author_id:
        return Parsed(note="flag without a post or author: stored only")
    # The most severe flag type decides; ties keep Discourse's order.
    flag_type = "custom"
    if facts.flag_types:
        flag_type = max(
            facts.flag_types,
            key=lambda t: (SEVERITY_RANK.get(severity_for(t), 1), -facts.flag_types.index(t)),
        )
    kind: str | None
    if facts.status == PENDING:
        kind = EventKind.FLAG_RAISED
    elif facts.status == APPROVED:
        kind = EventKind.FLAG_UPHELD
    elif facts.status == REJECTED or upheld_before:
        kind = EventKind.FLAG_REJECTED
    else:
        kind = None
    identities = {facts.author_id: facts.author_username}
    topics = (
        [TopicRef(topic_id=facts.topic_id, category_id=facts.category_id)] if facts.topic_id else []
    )
    if kind is None:
        return Parsed(
            identities=identities, topics=topics, note="flag ignored or deleted: not a charge"
        )
    event = EventInput(
        external_id=f"reviewable:{facts.reviewable_id}:v{facts.version}",
        kind=kind,
        occurred_at=post_occurred_at or facts.created_at or received_at,
        member_external_id=facts.author_id,
        member_username=facts.author_username,
        space_external_id=topic_space_id(facts.topic_id) if facts.topic_id else "",
        space_kind=SpaceKind.TOPIC,
        subject=post_external_id(facts.post_id),
        category=flag_type,
        severity=severity_for(flag_type) if kind == EventKind.FLAG_UPHELD else "",
        payload={
            "reviewable_id": facts.reviewable_id,
            "status": facts.status,
            "flag_types": facts.flag_types,
            "flaggers": facts.flaggers,
            "discourse_event": event_name,
            **({"post_text": facts.post_text} if facts.post_text else {}),
            **({"post_url": f"{forum_url.rstrip('/')}/p/{facts.post_id}"} if forum_url else {}),
        },
    )
    return Parsed(events=[event], identities=identities, topics=topics, note=f"{kind} recorded")
