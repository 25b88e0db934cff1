"""What every forum action reports: a call finished without being made (with the reason people
read), and each attempt announced as a ``forum.action_attempted`` domain event (the incidents
app writes it on the incident's timeline)."""

from __future__ import annotations

from django.utils import timezone

from community.domain_events import record_domain_event
from community.models import DomainEventType
from integrations.models import ActionStatus, ForumAction


def finish_without_call(action: ForumAction, reason: str) -> None:
    """Close an action that will not be sent (nothing to do, or not possible), saying why."""
    action.status = ActionStatus.SKIPPED
    action.last_error = reason[:500]
    action.next_attempt_at = None
    action.finished_at = timezone.now()
    action.save(update_fields=["status", "last_error", "next_attempt_at", "finished_at"])
    announce_attempt(action, attempt=0, ok=False, status_code=None, error=reason, permanent=True)


def announce_attempt(
    action: ForumAction,
    *,
    attempt: int,
    ok: bool,
    status_code: int | None,
    error: str,
    permanent: bool,
) -> None:
    record_domain_event(
        community=action.community,
        type=DomainEventType.FORUM_ACTION_ATTEMPTED,
        payload={
            "action": action.action,
            "incident_id": _int_or_none(action.incident_id),
            "cooldown_id": _int_or_none(action.cooldown_id),
            "notice_id": _int_or_none(action.notice_id),
            "member_cooldown_id": _int_or_none(action.member_cooldown_id),
            "attempt": attempt,
            "ok": ok,
            "status_code": status_code,
            "error": error,
            "permanent": permanent,
        },
    )


def _int_or_none(value: str) -> int | str | None:
    if not value:
        return None
    return int(value) if value.isdigit() else value
