"""Pure parsing of Discourse JSON: the decisions, without HTTP or a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.discourse import payloads as p
from integrations.models import DEFAULT_FLAG_SEVERITIES
from tests.integrations.helpers import fixture

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def severity(flag: str) -> str:
    return DEFAULT_FLAG_SEVERITIES.get(flag, "moderate")


def facts(**changes: object) -> p.ReviewFacts:
    reviewable = {**fixture("reviewable_approved")["body"]["reviewable"], **changes}
    result = p.review_facts(reviewable, fixture("review_5121"))
    assert result is not None
    return result


def test_the_webhook_reviewable_alone_needs_the_review_detail() -> None:
    assert p.needs_review_detail(fixture("reviewable_created")["body"]["reviewable"])


def test_the_detail_supplies_flag_types_flaggers_and_the_author() -> None:
    f = facts()
    assert f.flag_types == ["inappropriate", "off_topic"]
    assert f.flaggers == ["computersavvy", "glb"]
    assert (f.author_id, f.author_username, f.post_id, f.topic_id) == (
        "11878",
        "johnnee8",
        "127406",
        "31544",
    )


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (0, "flag_raised"),
        (1, "flag_upheld"),
        (2, "flag_rejected"),
        (3, None),
        (4, None),
        ("approved", "flag_upheld"),
    ],
)
def test_each_status_means_one_thing(status: object, kind: str | None) -> None:
    parsed = p.parse_reviewable(
        "reviewable_transitioned_to",
        facts(status=status),
        severity_for=severity,
        post_occurred_at=None,
        upheld_before=False,
        received_at=NOW,
    )
    assert [e.kind for e in parsed.events] == ([kind] if kind else [])


def test_an_illegal_flag_is_severe_and_outranks_the_others() -> None:
    f = facts()
    f = p.ReviewFacts(**{**f.__dict__, "flag_types": ["off_topic", "illegal"]})
    [event] = p.parse_reviewable(
        "reviewable_transitioned_to",
        f,
        severity_for=severity,
        post_occurred_at=NOW,
        upheld_before=False,
        received_at=NOW,
    ).events
    assert (event.category, event.severity, event.occurred_at) == ("illegal", "severe", NOW)


def test_a_custom_flag_type_is_moderate_by_default() -> None:
    reviewable = {
        **fixture("reviewable_approved")["body"]["reviewable"],
        "reviewable_scores": [{"score_type": {"id": 1001, "type": "custom_needs_care"}}],
        "target_created_by": {"id": 3, "username": "x"},
    }
    f = p.review_facts(reviewable, None)
    assert f is not None and not p.needs_review_detail(reviewable)
    [event] = p.parse_reviewable(
        "r", f, severity_for=severity, post_occurred_at=None, upheld_before=False, received_at=NOW
    ).events
    assert (event.category, event.severity) == ("custom_needs_care", "moderate")


def test_a_review_item_that_is_not_a_flagged_post_records_nothing() -> None:
    f = facts(type="ReviewableUser")
    parsed = p.parse_reviewable(
        "r", f, severity_for=severity, post_occurred_at=None, upheld_before=False, received_at=NOW
    )
    assert parsed.events == []


def test_a_system_small_action_post_is_not_activity() -> None:
    post = {**fixture("post_created")["body"]["post"], "post_type": 3}
    assert p.parse_post("post_created", post, received_at=NOW, include_private=False).events == []


def test_a_destroyed_post_is_not_friction() -> None:
    post = fixture("post_created")["body"]["post"]
    assert p.parse_post("post_destroyed", post, received_at=NOW, include_private=False).events == []


def test_an_upheld_flag_keeps_the_posts_words_and_a_link_to_it_on_the_forum() -> None:
    reviewable = fixture("reviewable_approved")["body"]["reviewable"]
    f = p.review_facts(reviewable, fixture("review_5121"))
    assert f is not None
    [event] = p.parse_reviewable(
        "reviewable_transitioned_to",
        f,
        severity_for=severity,
        post_occurred_at=None,
        upheld_before=False,
        received_at=NOW,
        forum_url="https://ask.fedoraproject.org/",
    ).events
    assert event.payload["post_text"] == "Just wipe the partition, it is obviously your fault."
    assert event.payload["post_url"] == "https://ask.fedoraproject.org/p/127406"


def test_a_post_keeps_its_authors_trust_level_for_the_fairness_board() -> None:
    post = fixture("post_created")["body"]["post"]
    [event] = p.parse_post("post_created", post, received_at=NOW, include_private=False).events
    assert event.payload["trust_level"] == 2
    [unset] = p.parse_post(
        "post_created", {**post, "trust_level": "2"}, received_at=NOW, include_private=False
    ).events
    assert unset.payload["trust_level"] is None
