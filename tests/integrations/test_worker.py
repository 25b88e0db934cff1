"""End to end with a real Celery worker through Redis: a recorded flame war replayed through the
webhook endpoint, an outbound webhook reaching a local receiver, and a member's pause silenced
and lifted on the forum."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from budgets import services
from budgets.models import Charge, MemberBudget, MemberCooldown
from community.domain_events import record_domain_event
from community.models import Community, ConductEvent
from integrations.discourse.connection import connect_discourse
from integrations.models import ForumAction, InboundDelivery, WebhookDelivery
from integrations.signing import signature_matches
from integrations.webhooks.subscriptions import create_subscription
from tests.budgets.helpers import event, send
from tests.conftest import WorkerProcess, wait_for
from tests.integrations.helpers import (
    API_KEY,
    API_USER,
    SECRET,
    deliver,
    fake_discourse,
    fixture,
    webhook_receiver,
)

pytestmark = [pytest.mark.worker]

# Three parties in one heated topic; the moderator upholds three flags and rejects one.
AUTHORS = {"501": "tomato_tess", "502": "compost_cal", "503": "quiet_quinn"}
POSTS = [  # (post id, author, minutes after the first post)
    (9001, "501", 0),
    (9002, "502", 3),
    (9003, "501", 5),
    (9004, "502", 6),
    (9005, "503", 9),
    (9006, "501", 11),
    (9007, "502", 12),
    (9008, "503", 20),
]
FLAGS = {  # post id -> (reviewable id, flag type, moderator's decision)
    9003: (71, "inappropriate", 1),
    9004: (72, "inappropriate", 1),
    9006: (73, "off_topic", 1),
    9008: (74, "spam", 2),
}
TYPE_IDS = {"off_topic": 3, "inappropriate": 4, "spam": 8}


def post_delivery(post_id: int, author: str, minute: int) -> dict[str, Any]:
    data = copy.deepcopy(fixture("post_created"))
    post = data["body"]["post"]
    post.update(
        id=post_id,
        user_id=int(author),
        username=AUTHORS[author],
        topic_id=777,
        topic_title="Who moved the shared compost bins?",
        category_id=5,
        category_slug="proposals",
        post_number=post_id - 9000,
        created_at=f"2026-11-20T18:{minute:02d}:00.000Z",
    )
    data["headers"]["X-Discourse-Event-Id"] = str(post_id)
    return data


def review_delivery(post_id: int, status: int, version: int) -> dict[str, Any]:
    reviewable_id, _, _ = FLAGS[post_id]
    data = copy.deepcopy(fixture("reviewable_created"))
    data["headers"]["X-Discourse-Event"] = (
        "reviewable_created" if status == 0 else "reviewable_transitioned_to"
    )
    data["headers"]["X-Discourse-Event-Id"] = f"{reviewable_id}{version}"
    data["body"]["reviewable"].update(
        id=reviewable_id,
        status=status,
        version=version,
        post_id=post_id,
        topic_id=777,
        category_id=5,
        target_created_by_id=None,
        reviewable_score_ids=[reviewable_id * 10],
    )
    return data


def review_detail(post_id: int, author: str) -> dict[str, Any]:
    reviewable_id, flag_type, _ = FLAGS[post_id]
    detail = copy.deepcopy(fixture("review_5121"))
    detail["reviewable"].update(
        id=reviewable_id, post_id=post_id, topic_id=777, target_created_by_id=int(author)
    )
    detail["users"] = [
        {"id": int(author), "username": AUTHORS[author]},
        {"id": 4410, "username": "computersavvy"},
    ]
    score = detail["reviewable_scores"][0]
    score.update(id=reviewable_id * 10, score_type={"id": TYPE_IDS[flag_type], "type": flag_type})
    detail["reviewable_scores"] = [score]
    return detail


def test_a_recorded_flame_war_becomes_the_right_conduct_events(
    celery_worker: WorkerProcess,
) -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    with fake_discourse() as forum:
        connection = connect_discourse(
            community=community,
            base_url=forum.url,
            secret=SECRET,
            api_key=API_KEY,
            api_username=API_USER,
        )
        web = Client()
        authors = {post_id: author for post_id, author, _ in POSTS}
        forum.reviews = {str(FLAGS[p][0]): review_detail(p, authors[p]) for p in FLAGS}
        for post_id, author, minute in POSTS:
            assert (
                deliver(web, connection, post_delivery(post_id, author, minute)).status_code == 202
            )
        try:
            wait_for(
                lambda: ConductEvent.objects.filter(kind="post").count() == len(POSTS),
                timeout=30,
                what="the posts to be processed by the worker",
            )
        except BaseException:
            print(celery_worker.log())
            print(list(InboundDelivery.objects.values_list("status", "note")))
            raise
        for post_id in FLAGS:
            assert deliver(web, connection, review_delivery(post_id, 0, 0)).status_code == 202
        # Discourse retries one delivery with a new event id: a duplicate by content.
        retry = deliver(web, connection, review_delivery(9003, 0, 0), event_id="retry-1")
        assert retry.json() == {"status": "duplicate"}
        for post_id, (_, _, decision) in FLAGS.items():
            assert (
                deliver(web, connection, review_delivery(post_id, decision, 2)).status_code == 202
            )
        wait_for(
            lambda: ConductEvent.objects.filter(kind="flag_upheld").count() == 3,
            timeout=30,
            what="the moderator's decisions to be processed",
        )
        # Later the moderator reverses one decision on the forum: the flag on 9006 is rejected.
        assert deliver(web, connection, review_delivery(9006, 2, 3)).status_code == 202
        wait_for(
            lambda: (
                not InboundDelivery.objects.pending().exists()
                and ConductEvent.objects.exclude(kind="post").count() == 9
            ),
            timeout=30,
            what="the flags to be processed by the worker",
        )
    flags = sorted(
        ConductEvent.objects.exclude(kind="post").values_list(
            "kind", "subject", "category", "severity", "member__display_name"
        )
    )
    assert flags == sorted(
        [
            ("flag_raised", "post:9003", "inappropriate", "", "tomato_tess"),
            ("flag_raised", "post:9004", "inappropriate", "", "compost_cal"),
            ("flag_raised", "post:9006", "off_topic", "", "tomato_tess"),
            ("flag_raised", "post:9008", "spam", "", "quiet_quinn"),
            ("flag_upheld", "post:9003", "inappropriate", "moderate", "tomato_tess"),
            ("flag_upheld", "post:9004", "inappropriate", "moderate", "compost_cal"),
            ("flag_upheld", "post:9006", "off_topic", "minor", "tomato_tess"),
            ("flag_rejected", "post:9008", "spam", "", "quiet_quinn"),
            ("flag_rejected", "post:9006", "off_topic", "", "tomato_tess"),
        ]
    )
    upheld = ConductEvent.objects.get(kind="flag_upheld", subject="post:9003")
    assert upheld.occurred_at == ConductEvent.objects.get(external_id="post:9003").occurred_at
    assert upheld.space is not None and upheld.space.external_id == "topic:777"
    assert upheld.space.parent is not None and upheld.space.parent.external_id == "category:5"
    assert "integrations.drain_discourse_deliveries" in celery_worker.log()
    # The budgets capability charges the authors, releases the reversed flag's charge, and the
    # worker recalculates their budgets (defaults: floor 10, moderate 3, minor 1).
    charges = sorted(
        Charge.objects.values_list(
            "membership__display_name", "category", "cost", "forgiveness__kind"
        )
    )
    assert charges == [
        ("compost_cal", "inappropriate", Decimal("3.00"), None),
        ("tomato_tess", "inappropriate", Decimal("3.00"), None),
        ("tomato_tess", "off_topic", Decimal("1.00"), "flag_rejected"),
    ]
    assert not Charge.objects.filter(membership__display_name="quiet_quinn").exists()
    budgets = wait_for(
        lambda: (
            dict(
                MemberBudget.objects.filter(
                    membership__display_name__in=["tomato_tess", "compost_cal"], spent=3
                ).values_list("membership__display_name", "remaining")
            )
            if MemberBudget.objects.filter(spent=3).count() == 2
            else None
        ),
        timeout=30,
        what="the worker to recalculate the parties' budgets",
    )
    assert budgets == {"tomato_tess": Decimal("7"), "compost_cal": Decimal("7")}


def test_an_outbound_webhook_reaches_a_local_receiver_signed(
    celery_worker: WorkerProcess,
) -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    with webhook_receiver() as receiver:
        create_subscription(
            community=community,
            url=receiver.url,
            secret="receiver-secret-456",
            event_types=["cooldown.started"],
        )
        with transaction.atomic():
            event = record_domain_event(
                community=community,
                type="cooldown.started",
                payload={"cooldown_id": 1, "space": None},
            )
        wait_for(lambda: receiver.received, timeout=30, what="the webhook at the receiver")
        headers, body = receiver.received[0]
    assert signature_matches("receiver-secret-456", body, headers["X-CSRE-Signature"])
    assert headers["X-CSRE-Event-Id"] == str(event.pk)
    wait_for(
        lambda: WebhookDelivery.objects.filter(status="delivered").exists(),
        what="the delivery to be marked delivered",
    )


def test_a_members_pause_is_silenced_and_lifted_on_the_forum_by_the_worker(
    celery_worker: WorkerProcess,
) -> None:
    """Budgets starts a pause, the worker silences the forum account through Redis; a
    moderator's forgiveness lifts the pause and the worker unsilences the account."""
    community = Community.objects.create(slug="garden", name="Garden Club")
    moderator = User.objects.create_user("maya_mod")
    services.update_policy(
        community=community,
        changes={"tier_actions": {"exhausted": ["member_cooldown"]}, "cooldown_hours": 12},
        by=None,
    )
    with fake_discourse() as forum:
        connect_discourse(
            community=community,
            base_url=forum.url,
            secret=SECRET,
            api_key=API_KEY,
            api_username=API_USER,
        )
        send(
            community,
            event("moderator_warning", "501", severity="severe"),
            event("post_removed", "501", severity="moderate"),
            source="discourse",
        )
        try:
            wait_for(
                lambda: forum.calls("PUT", "/admin/users/501/silence.json"),
                timeout=40,
                what="the worker to silence the member on the forum",
            )
        except BaseException:
            print(celery_worker.log())
            raise
        pause = MemberCooldown.objects.get()
        [call] = forum.calls("PUT", "/admin/users/501/silence.json")
        assert call.body["silenced_till"] == pause.ends_at.isoformat()
        services.forgive_charges(
            charges=Charge.objects.filter(severity="severe"),
            reason="Talked it through on the phone.",
            by=moderator,
        )
        wait_for(
            lambda: forum.calls("PUT", "/admin/users/501/unsilence.json"),
            timeout=40,
            what="the worker to lift the silence",
        )
        wait_for(
            lambda: ForumAction.objects.filter(action="unsilence", status="succeeded").exists(),
            what="the lift to be recorded as done",
        )
    assert forum.silenced == {}
    assert list(ForumAction.objects.order_by("pk").values_list("action", "status")) == [
        ("silence", "succeeded"),
        ("unsilence", "succeeded"),
    ]
    assert "integrations.perform_forum_action" in celery_worker.log()
