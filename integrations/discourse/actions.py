"""Actions on the forum: plan the Discourse calls a domain event asks for (a cooldown, a notice;
a member's pause in ``member_pauses``), then perform each one as an outbound call with retries
(``integrations.outbound``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from community.jobs import enqueue_after_commit
from community.models import Community, DomainEvent, DomainEventType, Space, SpaceKind
from integrations.discourse.action_log import announce_attempt, finish_without_call
from integrations.discourse.connection import client_for, record_permanent_error
from integrations.discourse.member_pauses import refusal_before_call, settled_refusal
from integrations.discourse.payloads import topic_id_of
from integrations.http import CallError
from integrations.models import (
    SOURCE,
    ActionStatus,
    DiscourseConnection,
    ForumAction,
    ForumActionKind,
)
from integrations.outbound import record_attempt
from integrations.retry import AttemptResult, Verdict


@dataclass(frozen=True)
class PlannedAction:
    action: str
    method: str
    params: dict[str, Any]


def _plan(event_type: str, payload: Mapping[str, Any]) -> list[PlannedAction]:
    mode = payload.get("mode")
    if (
        event_type in (DomainEventType.COOLDOWN_STARTED, DomainEventType.COOLDOWN_EXTENDED)
        and mode == "slow_mode"
    ):
        return [
            PlannedAction(
                ForumActionKind.SLOW_MODE,
                "PUT",
                {
                    "seconds": int(payload.get("slow_mode_seconds") or 0),
                    "enabled_until": payload.get("ends_at"),
                },
            )
        ]
    # Discourse's status endpoint has no end time, so a closed topic also gets a topic timer
    # that reopens it at the cooldown's end, even if we are down then.
    reopen_timer = PlannedAction(
        ForumActionKind.REOPEN_TIMER,
        "POST",
        {"time": payload.get("ends_at"), "status_type": "open"},
    )
    if event_type == DomainEventType.COOLDOWN_STARTED and mode == "read_only":
        return [
            PlannedAction(
                ForumActionKind.CLOSE_TOPIC, "PUT", {"status": "closed", "enabled": "true"}
            ),
            reopen_timer,
        ]
    if event_type == DomainEventType.COOLDOWN_EXTENDED and mode == "read_only":
        return [reopen_timer]
    if event_type == DomainEventType.COOLDOWN_ENDED and mode == "slow_mode":
        return [PlannedAction(ForumActionKind.LIFT_SLOW_MODE, "PUT", {"seconds": 0})]
    if event_type == DomainEventType.COOLDOWN_ENDED and mode == "read_only":
        return [
            PlannedAction(
                ForumActionKind.REOPEN_TOPIC, "PUT", {"status": "closed", "enabled": "false"}
            )
        ]
    if event_type == DomainEventType.NOTICE_REQUESTED:
        return [PlannedAction(ForumActionKind.POST_NOTICE, "POST", {"raw": payload.get("raw", "")})]
    return []


def _path(action: str, topic_id: str) -> str:
    if action in (ForumActionKind.SLOW_MODE, ForumActionKind.LIFT_SLOW_MODE):
        return f"/t/{topic_id}/slow_mode.json"
    if action in (ForumActionKind.CLOSE_TOPIC, ForumActionKind.REOPEN_TOPIC):
        return f"/t/{topic_id}/status.json"
    if action == ForumActionKind.REOPEN_TIMER:
        return f"/t/{topic_id}/timer.json"
    return "/posts.json"


CATEGORY_NOT_APPLIED = (
    "Discourse has no category-wide slow mode or notice: a cooldown on a category is not "
    "applied on the forum. Cool the heated topics instead."
)


def plan_forum_actions(*, event: DomainEvent) -> list[ForumAction]:
    """Subscriber for cooldown and notice events: record the forum calls to make (idempotent on
    the domain event) and enqueue them after commit."""
    payload = event.payload or {}
    space = payload.get("space") or {}
    if not isinstance(space, dict) or space.get("source") != SOURCE:
        return []
    connection = DiscourseConnection.objects.filter(community_id=event.community_id).first()
    if connection is None:
        return []
    planned = _plan(event.type, payload)
    if not planned:
        return []
    topic_id = (
        topic_id_of(str(space.get("external_id") or ""))
        if space.get("kind") == SpaceKind.TOPIC
        else None
    )
    space_pk = space.get("id")
    own_space = (
        Space.objects.filter(pk=space_pk, community_id=event.community_id).first()
        if isinstance(space_pk, int)
        else None
    )
    created: list[ForumAction] = []
    for plan in planned:
        params = dict(plan.params)
        if plan.action == ForumActionKind.POST_NOTICE and topic_id:
            params["topic_id"] = int(topic_id)
        action, new = ForumAction.objects.get_or_create(
            domain_event_id=event.pk,
            action=plan.action,
            defaults={
                "community_id": event.community_id,
                "connection": connection,
                "space": own_space,
                "topic_id": topic_id or "",
                "method": plan.method,
                "path": _path(plan.action, topic_id) if topic_id else "",
                "params": params,
                "incident_id": str(payload.get("incident_id") or ""),
                "cooldown_id": str(payload.get("cooldown_id") or ""),
                "notice_id": str(payload.get("notice_id") or ""),
            },
        )
        if not new:
            continue
        created.append(action)
        if topic_id is None:
            finish_without_call(action, CATEGORY_NOT_APPLIED)
        elif not connection.can_act:
            finish_without_call(action, "The Discourse connection has no API key: actions are off.")
        else:
            enqueue_after_commit(ForumAction.ATTEMPT_TASK, action.pk)
    return created


def perform_forum_action(*, action_id: int) -> ForumAction | None:
    """Make one attempt at a forum call; a transient failure is retried with backoff."""
    with transaction.atomic():
        action = (
            ForumAction.objects.select_for_update(of=("self",))
            .select_related("connection", "community")
            .filter(pk=action_id, status__in=ForumAction.open_statuses())
            .first()
        )
        if action is None or action.connection is None:
            return action
        refusal = refusal_before_call(action)
        if refusal:
            finish_without_call(action, refusal)
            return action
        try:
            with client_for(action.connection) as client:
                reply = client.request(action.method, action.path, json_body=action.params)
            result = AttemptResult(ok=True, status_code=reply.status_code)
        except CallError as exc:
            result = AttemptResult(
                ok=False, status_code=exc.status_code, error=str(exc), permanent=exc.permanent
            )
        verdict = record_attempt(call=action, result=result)
        settled = settled_refusal(action, result) if verdict is Verdict.FAILED else ""
        if settled:
            # The forum's answer ends the action without a fault to show the moderators.
            action.status = ActionStatus.SKIPPED
            action.last_error = settled
            action.save(update_fields=["status", "last_error"])
            result = AttemptResult(
                ok=False, status_code=result.status_code, error=settled, permanent=True
            )
        elif verdict is Verdict.FAILED:
            record_permanent_error(
                connection=action.connection,
                message=(
                    f"{action.get_action_display()}: {action.method} {action.path}: {result.error}"
                ),
            )
        announce_attempt(
            action,
            attempt=action.attempts,
            ok=result.ok,
            status_code=result.status_code,
            error=result.error,
            permanent=verdict in (Verdict.FAILED, Verdict.GAVE_UP),
        )
    return action


def sweep_forum_actions(*, limit: int = 100) -> int:
    """Run retries whose time has come (in case the broker lost the delayed task)."""
    ids = list(ForumAction.due().values_list("pk", flat=True)[:limit])
    for action_id in ids:
        perform_forum_action(action_id=action_id)
    return len(ids)


def community_forum_actions(community: Community, limit: int = 20) -> list[ForumAction]:
    return list(
        ForumAction.objects.filter(community=community)
        .select_related("space", "membership")
        .order_by("-created_at", "-pk")[:limit]
    )
