"""Actions out: cooldowns and notices on Discourse topics, against a fake Discourse server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from celery import current_app
from django.test import Client
from django.utils import timezone

from community.domain_events import dispatch_pending, record_domain_event, space_payload
from community.models import Community, DomainEvent, Space, SpaceKind
from integrations.discourse import connection as connection_service
from integrations.discourse.actions import perform_forum_action, sweep_forum_actions
from integrations.models import ActionStatus, DiscourseConnection, ForumAction, ForumActionAttempt
from integrations.subscriber import on_domain_event
from tests.integrations.helpers import FakeDiscourse


@pytest.fixture
def topic(community: Community) -> Space:
    return Space.objects.create(
        community=community,
        name="Shared shed rota",
        kind=SpaceKind.TOPIC,
        source="discourse",
        external_id="topic:46582",
    )


def cooldown(space: Space, type_: str = "cooldown.started", **changes: Any) -> dict[str, Any]:
    starts = timezone.now().replace(microsecond=0)
    payload: dict[str, Any] = {
        "cooldown_id": 7,
        "incident_id": 3,
        "space": space_payload(space),
        "mode": "slow_mode",
        "slow_mode_seconds": 600,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
    }
    if type_ == "cooldown.ended":
        payload = {
            "cooldown_id": 7,
            "incident_id": 3,
            "space": space_payload(space),
            "mode": "slow_mode",
            "ended_at": starts.isoformat(),
            "reason": "lifted",
        }
    payload.update(changes)
    return payload


def publish(community: Community, type_: str, payload: dict[str, Any], capture: Any) -> DomainEvent:
    """Record a domain event the way the incidents app does, and let the outbox deliver it."""
    with capture(execute=True):
        event = record_domain_event(community=community, type=type_, payload=payload)
    return event


def attempted() -> list[dict[str, Any]]:
    return [
        e.payload
        for e in DomainEvent.objects.filter(type="forum.action_attempted").order_by("created_at")
    ]


def test_a_slow_mode_cooldown_sets_slow_mode_on_the_topic_until_it_ends(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    topic: Space,
    django_capture_on_commit_callbacks: Any,
) -> None:
    payload = cooldown(topic)
    publish(community, "cooldown.started", payload, django_capture_on_commit_callbacks)
    [call] = forum.calls("PUT", "/t/46582/slow_mode.json")
    assert call.body == {"seconds": 600, "enabled_until": payload["ends_at"]}
    assert call.headers["Api-Key"] == "discourse-api-key-abc"
    assert call.headers["Api-Username"] == "system"
    action = ForumAction.objects.get()
    assert (action.action, action.status, action.attempts) == ("slow_mode", "succeeded", 1)
    assert action.space == topic and action.cooldown_id == "7"
    assert attempted() == [
        {
            "action": "slow_mode",
            "incident_id": 3,
            "cooldown_id": 7,
            "notice_id": None,
            "member_cooldown_id": None,
            "attempt": 1,
            "ok": True,
            "status_code": 200,
            "error": "",
            "permanent": False,
        }
    ]


def test_ending_a_slow_mode_cooldown_lifts_it_with_zero_seconds(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    topic: Space,
    django_capture_on_commit_callbacks: Any,
) -> None:
    publish(
        community,
        "cooldown.ended",
        cooldown(topic, "cooldown.ended"),
        django_capture_on_commit_callbacks,
    )
    [call] = forum.calls("PUT", "/t/46582/slow_mode.json")
    assert call.body == {"seconds": 0}
    assert ForumAction.objects.get().action == "lift_slow_mode"


def test_extending_a_cooldown_moves_the_slow_mode_end(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    topic: Space,
    django_capture_on_commit_callbacks: Any,
) -> None:
    later = (timezone.now() + timedelta(hours=5)).replace(microsecond=0).isoformat()
    publish(
        community,
        "cooldown.extended",
        cooldown(topic, ends_at=later),
        django_capture_on_commit_callbacks,
    )
    [call] = forum.calls("PUT", "/t/46582/slow_mode.json")
    assert call.body["enabled_until"] == later


def test_a_read_only_cooldown_closes_the_topic_and_its_end_reopens_it(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    topic: Space,
    django_capture_on_commit_callbacks: Any,
) -> None:
    start = cooldown(topic, mode="read_only")
    start.pop("slow_mode_seconds")
    publish(community, "cooldown.started", start, django_capture_on_commit_callbacks)
    end = cooldown(topic, "cooldown.ended", mode="read_only")
    publish(community, "cooldown.ended", end, django_capture_on_commit_callbacks)
    calls = forum.calls("PUT", "/t/46582/status.json")
    assert [c.body for c in calls] == [
        {"status": "closed", "enabled": "true"},
        {"status": "closed", "enabled": "false"},
    ]
    [timer] = forum.calls("POST", "/t/46582/timer.json")
    assert timer.body == {"time": start["ends_at"], "status_type": "open"}
    assert list(ForumAction.objects.order_by("pk").values_list("action", flat=True)) == [
        "close_topic",
        "reopen_timer",
        "reopen_topic",
    ]


def test_a_notice_is_posted_in_the_topic(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    topic: Space,
    django_capture_on_commit_callbacks: Any,
) -> None:
    payload = {
        "notice_id": 12,
        "incident_id": 3,
        "space": space_payload(topic),
        "raw": "Let's take a breather: slow mode for two hours.",
    }
    publish(community, "notice.requested", payload, django_capture_on_commit_callbacks)
    [call] = forum.calls("POST", "/posts.json")
    assert call.body == {"topic_id": 46582, "raw": payload["raw"]}
    assert attempted()[0]["action"] == "post_notice" and attempted()[0]["notice_id"] == 12


def test_a_5xx_is_retried_with_backoff_until_it_works(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    topic: Space,
    django_capture_on_commit_callbacks: Any,
) -> None:
    forum.plan["PUT /t/46582/slow_mode.json"] = [500, 502]
    publish(community, "cooldown.started", cooldown(topic), django_capture_on_commit_callbacks)
    action = ForumAction.objects.get()
    assert (action.status, action.attempts) == ("succeeded", 3)
    tries = list(ForumActionAttempt.objects.values_list("number", "ok", "status_code", "permanent"))
    assert tries == [(1, False, 500, False), (2, False, 502, False), (3, True, 200, False)]
    assert [(a["attempt"], a["ok"]) for a in attempted()] == [(1, False), (2, False), (3, True)]
    connection.refresh_from_db()
    assert connection.last_error == ""


def test_a_timeout_is_transient_and_schedules_a_retry(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    topic: Space,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forum.plan["PUT /t/46582/slow_mode.json"] = ["timeout"]
    # Stop after the first attempt to look at the scheduled retry.
    monkeypatch.setattr(
        current_app.tasks["integrations.perform_forum_action"],
        "apply_async",
        lambda *args, **kwargs: None,
    )
    event = record_domain_event(
        community=community, type="cooldown.started", payload=cooldown(topic)
    )
    dispatch_pending()
    action = ForumAction.objects.get(domain_event_id=event.pk)
    before = timezone.now()
    perform_forum_action(action_id=action.pk)
    action.refresh_from_db()
    assert (action.status, action.attempts, action.last_status_code) == ("retrying", 1, None)
    assert "did not answer in time" in action.last_error
    assert action.next_attempt_at is not None
    assert timedelta(seconds=4) < action.next_attempt_at - before < timedelta(seconds=6)
    perform_forum_action(action_id=action.pk)  # the retry: the forum answers now
    action.refresh_from_db()
    assert (action.status, action.attempts) == ("succeeded", 2)


def test_a_forum_that_keeps_failing_is_given_up_on(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    topic: Space,
    django_capture_on_commit_callbacks: Any,
) -> None:
    forum.plan["PUT /t/46582/slow_mode.json"] = [503] * 10
    publish(community, "cooldown.started", cooldown(topic), django_capture_on_commit_callbacks)
    action = ForumAction.objects.get()
    assert (action.status, action.attempts) == ("gave_up", ForumAction.MAX_ATTEMPTS)
    assert attempted()[-1]["permanent"] is True


def test_a_4xx_is_permanent_recorded_on_the_connection_and_shown_to_moderators(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    topic: Space,
    moderator: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    forum.plan["PUT /t/46582/slow_mode.json"] = [422]
    publish(community, "cooldown.started", cooldown(topic), django_capture_on_commit_callbacks)
    action = ForumAction.objects.get()
    assert (action.status, action.attempts, action.last_status_code) == ("failed", 1, 422)
    assert len(forum.calls("PUT", "/t/46582/slow_mode.json")) == 1  # not retried
    connection.refresh_from_db()
    assert "422" in connection.last_error and "planned 422" in connection.last_error
    assert attempted()[0]["permanent"] is True and attempted()[0]["status_code"] == 422
    client = Client()
    client.force_login(moderator)
    page = client.get("/c/garden/integrations/").content.decode()
    assert "The forum refused a request" in page and "planned 422" in page


def test_a_category_cooldown_is_recorded_as_not_applied(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    django_capture_on_commit_callbacks: Any,
) -> None:
    category = Space.objects.create(
        community=community,
        name="Proposals",
        kind=SpaceKind.CATEGORY,
        source="discourse",
        external_id="category:5",
    )
    publish(community, "cooldown.started", cooldown(category), django_capture_on_commit_callbacks)
    assert forum.requests == []
    action = ForumAction.objects.get()
    assert action.status == ActionStatus.SKIPPED and "category" in action.last_error
    assert attempted()[0]["ok"] is False and attempted()[0]["attempt"] == 0


def test_spaces_of_other_sources_are_left_alone(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    django_capture_on_commit_callbacks: Any,
) -> None:
    chat = Space.objects.create(
        community=community,
        name="Chat",
        kind=SpaceKind.CHANNEL,
        source="matrix",
        external_id="!room",
    )
    publish(community, "cooldown.started", cooldown(chat), django_capture_on_commit_callbacks)
    assert forum.requests == [] and not ForumAction.objects.exists()


def test_without_a_connection_nothing_is_called(
    community: Community,
    forum: FakeDiscourse,
    topic: Space,
    django_capture_on_commit_callbacks: Any,
) -> None:
    publish(community, "cooldown.started", cooldown(topic), django_capture_on_commit_callbacks)
    assert forum.requests == [] and not ForumAction.objects.exists()


def test_handing_the_same_event_over_twice_calls_the_forum_once(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    topic: Space,
    django_capture_on_commit_callbacks: Any,
) -> None:
    event = publish(
        community, "cooldown.started", cooldown(topic), django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        on_domain_event(event)
    assert len(forum.calls("PUT", "/t/46582/slow_mode.json")) == 1
    assert ForumAction.objects.count() == 1


def test_test_connection_reports_who_we_act_as(
    connection: DiscourseConnection, forum: FakeDiscourse
) -> None:
    connection_service.check_discourse_connection(connection=connection)
    assert connection.last_test_ok is True and "system" in connection.last_test_message
    assert forum.calls("GET", "/session/current.json")


def test_test_connection_reports_a_bad_key(
    connection: DiscourseConnection, forum: FakeDiscourse
) -> None:
    connection.api_key = "wrong"
    connection.save()
    connection_service.check_discourse_connection(connection=connection)
    assert connection.last_test_ok is False and "403" in connection.last_test_message


def test_the_sweep_runs_forum_retries_whose_time_has_come(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    topic: Space,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forum.plan["PUT /t/46582/slow_mode.json"] = [503]
    monkeypatch.setattr(
        current_app.tasks["integrations.perform_forum_action"],
        "apply_async",
        lambda *args, **kwargs: None,
    )
    record_domain_event(community=community, type="cooldown.started", payload=cooldown(topic))
    dispatch_pending()
    action = ForumAction.objects.get()
    perform_forum_action(action_id=action.pk)
    assert sweep_forum_actions() == 0  # the retry is not due yet
    ForumAction.objects.filter(pk=action.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    assert sweep_forum_actions() == 1
    action.refresh_from_db()
    assert (action.status, action.attempts) == ("succeeded", 2)
