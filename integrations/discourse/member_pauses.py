"""A member's pause on posting, on Discourse: a timed silence, lifted early when budgets lifts the
pause (``budget.member_cooldown`` / ``budget.member_cooldown_lifted``).

* ``PUT /admin/users/{id}/silence.json`` with ``silenced_till`` (always: Discourse lifts the
  silence by itself then, even if we are down), a calm ``reason`` and a ``message`` the member
  receives; posts are left as they are (no ``post_action``).
* ``PUT /admin/users/{id}/unsilence.json`` when the pause is lifted early, but only if our
  silence was applied: a pause lifted before its silence was sent cancels the silence instead,
  and a silence Discourse refused because the member was already silenced (by a moderator
  there) is never undone by us.

Both plans take the member's row lock first, so a lift handed over by another worker while the
silence is being planned waits for it (the outbox may hand events to two workers at once).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from community.jobs import enqueue_after_commit
from community.models import DomainEvent, DomainEventType, Membership
from integrations.discourse.action_log import finish_without_call
from integrations.models import (
    SOURCE,
    ActionStatus,
    DiscourseConnection,
    ForumAction,
    ForumActionKind,
)
from integrations.retry import AttemptResult

REASON_MAX = 300  # Discourse validates the silence reason to at most 300 characters

NO_END = "No end time was given, and a pause is only ever applied on the forum with an end."
ALREADY_ENDED = "The pause had already ended, so there was nothing to apply on the forum."
NO_IDENTITY = (
    "No forum account is linked to this member, so the pause was not applied on the forum."
)
NO_KEY = "The Discourse connection has no API key: actions are off."
LIFTED_BEFORE_SENT = (
    "The pause was lifted early, before it reached the forum, so it was not applied."
)
NOTHING_TO_LIFT = "The pause was never applied on the forum, so there is nothing to lift there."
ENDED_ON_FORUM = "The forum had already ended the silence at its planned time."
ALREADY_SILENCED = (
    "The member was already silenced on the forum (by a moderator there, or an earlier "
    "pause); that silence is left as it is and will not be lifted by us."
)


def forum_user_id(identities: Any) -> str | None:
    """The member's Discourse user id among their forum identities, if they have one."""
    if not isinstance(identities, list):
        return None
    for ident in identities:
        if not isinstance(ident, dict) or ident.get("source") != SOURCE:
            continue
        value = str(ident.get("external_id") or "")
        if value.isdigit():
            return value
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


def silence_message(ends_at: datetime) -> str:
    return (
        f"Your posting here is paused until {ends_at:%-d %b %Y, %H:%M} UTC, to give everyone "
        "room to cool down. It lifts by itself then, or earlier if things settle. It is not a "
        "ban, and it costs you nothing more."
    )


def silence_params(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The silence call's body (``User::Silence``'s params), or nothing without a usable end."""
    ends_at = _time(payload.get("ends_at"))
    if ends_at is None:
        return {}
    reason = str(payload.get("reason") or "").strip() or "A short, timed pause on posting."
    return {
        "silenced_till": ends_at.isoformat(),
        "reason": reason[:REASON_MAX],
        "message": silence_message(ends_at),
    }


def _member_locked(event: DomainEvent, payload: Mapping[str, Any]) -> bool:
    """Lock the member's row (serialising the plans of one pause); False if not ours."""
    membership_id = payload.get("membership_id")
    if not isinstance(membership_id, int):
        return False
    return (
        Membership.objects.select_for_update(no_key=True)
        .filter(pk=membership_id, community_id=event.community_id)
        .exists()
    )


def _pause_id(payload: Mapping[str, Any]) -> str:
    value = payload.get("member_cooldown_id")
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else ""


def _record(
    *,
    event: DomainEvent,
    connection: DiscourseConnection,
    kind: str,
    pause_id: str,
    user_id: str,
    params: dict[str, Any],
) -> ForumAction | None:
    """The action row, once per pause and kind (None when it exists already: a replay)."""
    verb = "silence" if kind == ForumActionKind.SILENCE else "unsilence"
    action, new = ForumAction.objects.get_or_create(
        member_cooldown_id=pause_id,
        action=kind,
        defaults={
            "community_id": event.community_id,
            "connection": connection,
            "domain_event_id": event.pk,
            "method": "PUT",
            "path": f"/admin/users/{user_id}/{verb}.json" if user_id else "",
            "params": params,
            "forum_user_id": user_id,
            "membership_id": event.payload["membership_id"],
        },
    )
    return action if new else None


def plan_member_actions(*, event: DomainEvent) -> list[ForumAction]:
    """Subscriber for a member's pause starting or lifted early (idempotent on the pause)."""
    connection = DiscourseConnection.objects.filter(community_id=event.community_id).first()
    if connection is None:
        return []
    if event.type == DomainEventType.BUDGET_MEMBER_COOLDOWN:
        return plan_pause(event=event, connection=connection)
    if event.type == DomainEventType.BUDGET_MEMBER_COOLDOWN_LIFTED:
        return plan_lift(event=event, connection=connection)
    return []


def plan_pause(*, event: DomainEvent, connection: DiscourseConnection) -> list[ForumAction]:
    """``budget.member_cooldown``: a timed silence for the member's forum account."""
    payload = event.payload or {}
    pause_id = _pause_id(payload)
    if not pause_id or not _member_locked(event, payload):
        return []
    user_id = forum_user_id(payload.get("identities")) or ""
    params = silence_params(payload)
    action = _record(
        event=event,
        connection=connection,
        kind=ForumActionKind.SILENCE,
        pause_id=pause_id,
        user_id=user_id,
        params=params,
    )
    if action is None:
        return []
    lifted = ForumAction.objects.filter(
        member_cooldown_id=pause_id, action=ForumActionKind.UNSILENCE
    ).exists()
    ends_at = _time(params.get("silenced_till"))
    if lifted:
        finish_without_call(action, LIFTED_BEFORE_SENT)
    elif ends_at is None:
        finish_without_call(action, NO_END)
    elif ends_at <= timezone.now():
        finish_without_call(action, ALREADY_ENDED)
    elif not user_id:
        finish_without_call(action, NO_IDENTITY)
    elif not connection.can_act:
        finish_without_call(action, NO_KEY)
    else:
        enqueue_after_commit(ForumAction.ATTEMPT_TASK, action.pk)
    return [action]


def plan_lift(*, event: DomainEvent, connection: DiscourseConnection) -> list[ForumAction]:
    """``budget.member_cooldown_lifted``: undo our silence, or make sure it is never sent."""
    payload = event.payload or {}
    pause_id = _pause_id(payload)
    if not pause_id or not _member_locked(event, payload):
        return []
    silence = (
        ForumAction.objects.select_for_update()
        .filter(member_cooldown_id=pause_id, action=ForumActionKind.SILENCE)
        .first()
    )
    user_id = silence.forum_user_id if silence is not None else ""
    action = _record(
        event=event,
        connection=connection,
        kind=ForumActionKind.UNSILENCE,
        pause_id=pause_id,
        user_id=user_id,
        params={},
    )
    if action is None:
        return []
    if silence is not None and silence.status in ForumAction.open_statuses():
        # Not sent yet (or waiting for a retry): it never will be.
        finish_without_call(silence, LIFTED_BEFORE_SENT)
    if silence is None or silence.status != ActionStatus.SUCCEEDED:
        finish_without_call(action, NOTHING_TO_LIFT)
    elif (_time(silence.params.get("silenced_till")) or timezone.now()) <= timezone.now():
        finish_without_call(action, ENDED_ON_FORUM)
    elif not connection.can_act:
        finish_without_call(action, NO_KEY)
    else:
        enqueue_after_commit(ForumAction.ATTEMPT_TASK, action.pk)
    return [action]


def refusal_before_call(action: ForumAction) -> str:
    """A reason not to send a silence after all (its end passed while it waited for a retry)."""
    if action.action != ForumActionKind.SILENCE:
        return ""
    ends_at = _time(action.params.get("silenced_till"))
    if ends_at is None:
        return NO_END
    if ends_at <= timezone.now():
        return ALREADY_ENDED
    return ""


def settled_refusal(action: ForumAction, result: AttemptResult) -> str:
    """A refusal that is an answer, not a fault: Discourse answers 409 to a silence when the
    member is already silenced."""
    if action.action == ForumActionKind.SILENCE and result.status_code == 409:
        return ALREADY_SILENCED
    return ""
