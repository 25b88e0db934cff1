"""Demo step (order 50): a Discourse connection for the demo community (its forum address is not
reachable, on purpose), an outbound webhook subscription and a few logged deliveries, a forum
call that failed for good (it waits in Needs you), and the members' pauses on posting handed to
the forum as the outbox hands them over once a forum is connected: each pause a timed silence,
each early lift an unsilence. The responsible member of the finished circle has a forum
account: their silence is tried for real and cannot reach the forum (the attempt and its
reason are recorded, retries would follow), then the forgiveness lifts the pause, so the
silence is never sent and the unsilence has nothing to undo. Nothing is shown as done on a
forum that was never reached."""

from __future__ import annotations

import json
import random
import uuid
from datetime import timedelta

from django.db import transaction

from community.models import DomainEvent, DomainEventType
from demo.context import DEMO_FORUM, DemoContext
from integrations.discourse.actions import perform_forum_action
from integrations.discourse.connection import connect_discourse
from integrations.discourse.member_pauses import plan_member_actions
from integrations.models import (
    ActionStatus,
    DiscourseConnection,
    ForumAction,
    ForumActionAttempt,
    ForumActionKind,
    WebhookAttempt,
    WebhookDelivery,
    WebhookStatus,
    WebhookSubscription,
)
from integrations.retry import backoff_seconds

DEMO_SECRET = "demo-webhook-secret-1"  # noqa: S105 - demo data, documented in docs/integrations.md
DEMO_RECEIVER = "https://hooks.allotment-commons.invalid/community-sre"


def seed_integrations(ctx: DemoContext) -> None:
    community = ctx.community
    if DiscourseConnection.objects.filter(community=community).exists():
        ctx.log("  connection already present: nothing to add")
        return
    rng = random.Random(50_2026)
    connection = connect_discourse(
        community=community,
        base_url=DEMO_FORUM,
        secret=DEMO_SECRET,
        api_key="demo-api-key-not-real",
        api_username="system",
    )
    grow = community.spaces.filter(external_id="2").first()
    if grow is not None:
        connection.category_spaces = {"2": grow.pk}
        connection.save(update_fields=["category_spaces"])
    subscription = WebhookSubscription.objects.create(
        community=community,
        url=DEMO_RECEIVER,
        secret="demo-receiver-secret",  # noqa: S106 - demo data
        event_types=[
            DomainEventType.INCIDENT_DECLARED,
            DomainEventType.INCIDENT_UPDATED,
            DomainEventType.COOLDOWN_STARTED,
            DomainEventType.COOLDOWN_ENDED,
        ],
        description="Moderators' chat bot",
    )
    for n, (event_type, outcome) in enumerate(
        [
            (DomainEventType.INCIDENT_DECLARED, 200),
            (DomainEventType.COOLDOWN_STARTED, 200),
            (DomainEventType.COOLDOWN_ENDED, 503),
        ]
    ):
        event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        created = ctx.now - timedelta(days=3 - n, hours=rng.randint(1, 5))
        body = {
            "id": str(event_id),
            "type": event_type,
            "community": community.slug,
            "created_at": created.isoformat(),
            "data": {"incident_id": 1, "title": "Heat in the shed rota thread"},
        }
        ok = outcome < 300
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            event_id=event_id,
            event_type=event_type,
            body=json.dumps(body, sort_keys=True),
            status=WebhookStatus.DELIVERED if ok else WebhookStatus.FAILED,
            attempts=1 if ok else WebhookDelivery.MAX_ATTEMPTS,
            last_status_code=outcome,
            last_error="" if ok else "HTTP 503: Service Unavailable",
            created_at=created,
            delivered_at=created + timedelta(seconds=1) if ok else None,
        )
        for attempt in range(1, delivery.attempts + 1):
            WebhookAttempt.objects.create(
                delivery=delivery,
                number=attempt,
                at=created + timedelta(seconds=backoff_seconds(attempt)),
                status_code=outcome,
                error=delivery.last_error,
                duration_ms=rng.randint(40, 400),
            )
    _failed_forum_call(ctx, connection, rng)
    actions = _member_pauses_on_the_forum(ctx)
    ctx.log(
        "  connected the demo forum (not reachable), a webhook subscription, a forum call "
        f"that failed for good, and {actions} forum actions for members' pauses"
    )


def _member_pauses_on_the_forum(ctx: DemoContext) -> int:
    """Plan the forum actions of every member pause recorded so far, oldest first, as the
    integrations subscriber does when the outbox hands the events over (the steps before ran
    with no forum connected). Planning is idempotent per pause, so the worker's own hand-over
    later adds nothing. A silence that can be sent is tried once now, for real."""
    events = DomainEvent.objects.filter(
        community=ctx.community,
        type__in=(
            DomainEventType.BUDGET_MEMBER_COOLDOWN,
            DomainEventType.BUDGET_MEMBER_COOLDOWN_LIFTED,
        ),
    ).order_by("created_at", "pk")
    planned = 0
    for event in events:
        with transaction.atomic():  # as the outbox runs a subscriber: the plans lock rows
            actions = plan_member_actions(event=event)
        for action in actions:
            planned += 1
            action.refresh_from_db()
            tried = action.attempts > 0  # by a worker already, once the plan was committed
            waiting = action.status in ForumAction.open_statuses()
            if action.action == ForumActionKind.SILENCE and not tried and waiting:
                perform_forum_action(action_id=action.pk)
    return planned


def _failed_forum_call(
    ctx: DemoContext, connection: DiscourseConnection, rng: random.Random
) -> None:
    """A notice the forum refused this morning (the topic had been deleted): it cannot be
    tried again, so it waits in Needs you for someone to check the forum by hand."""
    space = ctx.community.spaces.filter(name="Plot Swaps").first()
    created = ctx.now - timedelta(hours=4, minutes=20)
    error = "HTTP 404: the topic no longer exists on the forum"
    call = ForumAction.objects.create(
        community=ctx.community,
        connection=connection,
        domain_event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        action=ForumActionKind.POST_NOTICE,
        space=space,
        topic_id="4437",
        method="POST",
        path="/posts.json",
        params={"topic_id": "4437"},
        status=ActionStatus.FAILED,
        attempts=1,
        last_status_code=404,
        last_error=error,
        created_at=created,
        finished_at=created + timedelta(seconds=1),
    )
    ForumActionAttempt.objects.create(
        forum_action=call,
        number=1,
        at=created + timedelta(seconds=1),
        status_code=404,
        error=error,
        ok=False,
        permanent=True,
    )
