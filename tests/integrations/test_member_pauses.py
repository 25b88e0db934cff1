"""A member's pause on Discourse: a timed silence of their forum account, lifted early with the
pause, through the outbox like every forum action (against the fake Discourse server)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from celery import current_app
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from budgets import services
from budgets.models import Charge, MemberCooldown
from community.domain_events import dispatch_pending, record_domain_event
from community.models import Community, DomainEvent, ExternalIdentity, Membership
from integrations.discourse.actions import perform_forum_action
from integrations.discourse.member_pauses import (
    ALREADY_ENDED,
    ALREADY_SILENCED,
    LIFTED_BEFORE_SENT,
    NO_END,
    NO_IDENTITY,
    NO_KEY,
    NOTHING_TO_LIFT,
    forum_user_id,
    silence_params,
)
from integrations.models import ActionStatus, DiscourseConnection, ForumAction
from integrations.subscriber import on_domain_event
from tests.budgets.helpers import event, membership, posts, send
from tests.integrations.helpers import FakeDiscourse

SILENCE = "/admin/users/2401/silence.json"
UNSILENCE = "/admin/users/2401/unsilence.json"


@pytest.fixture
def forum_member(community: Community) -> Membership:
    """A member known from the forum: Discourse user 2401, ``hal_rivers``."""
    person = Membership.objects.create(community=community, display_name="hal_rivers")
    ExternalIdentity.objects.create(
        community=community,
        membership=person,
        source="discourse",
        external_id="2401",
        username="hal_rivers",
    )
    return person


def identities(person: Membership) -> list[dict[str, str]]:
    return [
        {"source": i.source, "external_id": i.external_id, "username": i.username}
        for i in person.identities.order_by("pk")
    ]


def started(person: Membership, pause_id: int = 31, **changes: Any) -> dict[str, Any]:
    starts = timezone.now().replace(microsecond=0)
    payload: dict[str, Any] = {
        "member_cooldown_id": pause_id,
        "membership_id": person.pk,
        "identities": identities(person),
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=24)).isoformat(),
        "reason": "A 24-hour pause on posting, to give everyone room to cool down. It lifts "
        "by itself, and it is not a ban.",
    }
    payload.update(changes)
    return payload


def lifted(person: Membership, pause_id: int = 31) -> dict[str, Any]:
    now = timezone.now().replace(microsecond=0)
    return {
        "member_cooldown_id": pause_id,
        "membership_id": person.pk,
        "identities": identities(person),
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=23)).isoformat(),
        "lifted_at": now.isoformat(),
        "cause": "forgiven",
        "reason": "Lifted early because forgiveness gave the budget room again.",
    }


def publish(community: Community, type_: str, payload: dict[str, Any], capture: Any) -> DomainEvent:
    with capture(execute=True):
        return record_domain_event(community=community, type=type_, payload=payload)


def attempted() -> list[dict[str, Any]]:
    return [
        e.payload
        for e in DomainEvent.objects.filter(type="forum.action_attempted").order_by("created_at")
    ]


def hold_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plan forum actions but send nothing (the worker has not got to them yet)."""
    monkeypatch.setattr(
        current_app.tasks["integrations.perform_forum_action"],
        "apply_async",
        lambda *args, **kwargs: None,
    )


def test_a_pause_silences_the_members_forum_account_until_its_end(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    forum_member: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    payload = started(forum_member)
    publish(community, "budget.member_cooldown", payload, django_capture_on_commit_callbacks)
    [call] = forum.calls("PUT", SILENCE)
    assert call.body["silenced_till"] == payload["ends_at"]
    assert call.body["reason"] == payload["reason"]
    assert "paused until" in call.body["message"] and "UTC" in call.body["message"]
    assert "not a ban" in call.body["message"]
    assert "post_action" not in call.body  # posts are left as they are
    assert call.headers["Api-Key"] == "discourse-api-key-abc"
    assert forum.silenced == {"2401": payload["ends_at"]}
    action = ForumAction.objects.get()
    assert (action.action, action.status, action.attempts) == ("silence", "succeeded", 1)
    assert (action.member_cooldown_id, action.forum_user_id) == ("31", "2401")
    assert action.membership == forum_member and action.cooldown_id == ""
    assert attempted() == [
        {
            "action": "silence",
            "incident_id": None,
            "cooldown_id": None,
            "notice_id": None,
            "member_cooldown_id": 31,
            "attempt": 1,
            "ok": True,
            "status_code": 200,
            "error": "",
            "permanent": False,
        }
    ]


def test_a_pause_lifted_early_unsilences_the_account(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    forum_member: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    publish(
        community,
        "budget.member_cooldown",
        started(forum_member),
        django_capture_on_commit_callbacks,
    )
    publish(
        community,
        "budget.member_cooldown_lifted",
        lifted(forum_member),
        django_capture_on_commit_callbacks,
    )
    [call] = forum.calls("PUT", UNSILENCE)
    assert call.body == {}
    assert forum.silenced == {}
    assert list(ForumAction.objects.order_by("pk").values_list("action", "status")) == [
        ("silence", "succeeded"),
        ("unsilence", "succeeded"),
    ]


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"ends_at": None}, NO_END),
        ({"ends_at": "tomorrow at noon"}, NO_END),
        ({"ends_at": "2026-12-02T18:30:00"}, NO_END),  # no time zone: not a usable end
        ({"ends_at": (timezone.now() - timedelta(minutes=1)).isoformat()}, ALREADY_ENDED),
    ],
)
def test_a_pause_without_a_usable_end_is_never_applied(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    forum_member: Membership,
    django_capture_on_commit_callbacks: Any,
    changes: dict[str, Any],
    why: str,
) -> None:
    payload = started(forum_member, **changes)
    publish(community, "budget.member_cooldown", payload, django_capture_on_commit_callbacks)
    assert forum.requests == []
    action = ForumAction.objects.get()
    assert (action.status, action.last_error) == (ActionStatus.SKIPPED, why)
    assert attempted()[0]["attempt"] == 0 and attempted()[0]["permanent"] is True


def test_a_member_without_a_forum_account_is_not_called_for(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    django_capture_on_commit_callbacks: Any,
) -> None:
    person = Membership.objects.create(community=community, display_name="Ada (web only)")
    ExternalIdentity.objects.create(
        community=community, membership=person, source="api", external_id="88", username="ada"
    )
    publish(
        community, "budget.member_cooldown", started(person), django_capture_on_commit_callbacks
    )
    assert forum.requests == []
    action = ForumAction.objects.get()
    assert (action.status, action.last_error, action.path) == (
        ActionStatus.SKIPPED,
        NO_IDENTITY,
        "",
    )
    # Its lift has nothing to undo either.
    publish(
        community,
        "budget.member_cooldown_lifted",
        lifted(person),
        django_capture_on_commit_callbacks,
    )
    assert forum.requests == []
    unsilence = ForumAction.objects.get(action="unsilence")
    assert (unsilence.status, unsilence.last_error) == (ActionStatus.SKIPPED, NOTHING_TO_LIFT)


def test_without_an_api_key_the_pause_is_recorded_as_not_applied(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    forum_member: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    DiscourseConnection.objects.filter(pk=connection.pk).update(api_key="", api_username="")
    publish(
        community,
        "budget.member_cooldown",
        started(forum_member),
        django_capture_on_commit_callbacks,
    )
    assert forum.requests == []
    assert ForumAction.objects.get().last_error == NO_KEY


def test_a_pause_lifted_before_its_silence_was_sent_is_never_sent(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    forum_member: Membership,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hold_attempts(monkeypatch)
    record_domain_event(
        community=community, type="budget.member_cooldown", payload=started(forum_member)
    )
    dispatch_pending()
    silence = ForumAction.objects.get(action="silence")
    assert silence.status == ActionStatus.PENDING  # planned, waiting for the worker
    record_domain_event(
        community=community, type="budget.member_cooldown_lifted", payload=lifted(forum_member)
    )
    dispatch_pending()
    perform_forum_action(action_id=silence.pk)  # the worker gets to it late
    assert forum.requests == []
    silence.refresh_from_db()
    assert (silence.status, silence.last_error, silence.attempts) == (
        ActionStatus.SKIPPED,
        LIFTED_BEFORE_SENT,
        0,
    )
    unsilence = ForumAction.objects.get(action="unsilence")
    assert (unsilence.status, unsilence.last_error) == (ActionStatus.SKIPPED, NOTHING_TO_LIFT)


def test_a_lift_handed_over_before_its_pause_keeps_the_pause_off_the_forum(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    forum_member: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Two workers take the two events at once and the lift is planned first.
    start = DomainEvent.objects.create(
        community=community, type="budget.member_cooldown", payload=started(forum_member)
    )
    lift = DomainEvent.objects.create(
        community=community, type="budget.member_cooldown_lifted", payload=lifted(forum_member)
    )
    with django_capture_on_commit_callbacks(execute=True):
        on_domain_event(lift)
        on_domain_event(start)
    assert forum.requests == []
    assert ForumAction.objects.get(action="silence").last_error == LIFTED_BEFORE_SENT


def test_a_replayed_event_or_a_second_announcement_silences_once(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    forum_member: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = publish(
        community,
        "budget.member_cooldown",
        started(forum_member),
        django_capture_on_commit_callbacks,
    )
    with django_capture_on_commit_callbacks(execute=True):
        on_domain_event(first)  # the outbox hands the same row over again
    publish(
        community,
        "budget.member_cooldown",
        started(forum_member),
        django_capture_on_commit_callbacks,
    )  # the same pause announced by another event
    assert len(forum.calls("PUT", SILENCE)) == 1
    assert ForumAction.objects.count() == 1


def test_a_member_already_silenced_on_the_forum_is_left_as_they_are(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    forum_member: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    forum.silenced["2401"] = "3026-01-01T00:00:00Z"  # a moderator on the forum did it
    publish(
        community,
        "budget.member_cooldown",
        started(forum_member),
        django_capture_on_commit_callbacks,
    )
    assert len(forum.calls("PUT", SILENCE)) == 1
    action = ForumAction.objects.get()
    assert (action.status, action.last_status_code, action.last_error) == (
        ActionStatus.SKIPPED,
        409,
        ALREADY_SILENCED,
    )
    connection.refresh_from_db()
    assert connection.last_error == ""  # an answer, not a fault to show
    publish(
        community,
        "budget.member_cooldown_lifted",
        lifted(forum_member),
        django_capture_on_commit_callbacks,
    )
    assert forum.calls("PUT", UNSILENCE) == []  # never undo a silence that is not ours
    assert forum.silenced == {"2401": "3026-01-01T00:00:00Z"}


def test_a_forum_that_keeps_failing_is_given_up_on_after_the_usual_attempts(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    forum_member: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    forum.plan[f"PUT {SILENCE}"] = [503] * 10
    publish(
        community,
        "budget.member_cooldown",
        started(forum_member),
        django_capture_on_commit_callbacks,
    )
    action = ForumAction.objects.get()
    assert (action.status, action.attempts) == ("gave_up", ForumAction.MAX_ATTEMPTS)
    assert len(forum.calls("PUT", SILENCE)) == ForumAction.MAX_ATTEMPTS
    # Lifting it afterwards has nothing to undo.
    publish(
        community,
        "budget.member_cooldown_lifted",
        lifted(forum_member),
        django_capture_on_commit_callbacks,
    )
    assert forum.calls("PUT", UNSILENCE) == []


def test_a_silence_still_waiting_for_a_retry_at_its_end_is_not_sent(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    forum_member: Membership,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forum.plan[f"PUT {SILENCE}"] = [502]
    hold_attempts(monkeypatch)
    record_domain_event(
        community=community, type="budget.member_cooldown", payload=started(forum_member)
    )
    dispatch_pending()
    action = ForumAction.objects.get()
    perform_forum_action(action_id=action.pk)
    action.refresh_from_db()
    assert (action.status, action.attempts) == ("retrying", 1)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        perform_forum_action(action_id=action.pk)
    action.refresh_from_db()
    assert (action.status, action.last_error) == (ActionStatus.SKIPPED, ALREADY_ENDED)
    assert len(forum.calls("PUT", SILENCE)) == 1


def test_a_lift_after_the_forum_ended_the_silence_calls_nothing(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    forum_member: Membership,
    django_capture_on_commit_callbacks: Any,
) -> None:
    publish(
        community,
        "budget.member_cooldown",
        started(forum_member),
        django_capture_on_commit_callbacks,
    )
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        publish(
            community,
            "budget.member_cooldown_lifted",
            lifted(forum_member),
            django_capture_on_commit_callbacks,
        )
    assert forum.calls("PUT", UNSILENCE) == []


def test_the_budget_pipeline_silences_and_forgiveness_unsilences(
    community: Community,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    moderator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """From forum events to the silence and back, through budgets and the outbox."""
    services.update_policy(
        community=community,
        changes={"tier_actions": {"exhausted": ["member_cooldown"]}, "cooldown_hours": 12},
        by=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        send(community, *posts(3, "2401"), source="discourse")
    with django_capture_on_commit_callbacks(execute=True):
        send(
            community,
            event("moderator_warning", "2401", severity="severe"),
            event("post_removed", "2401", severity="moderate"),
            source="discourse",
        )
    pause = MemberCooldown.objects.get()
    [call] = forum.calls("PUT", "/admin/users/2401/silence.json")
    assert call.body["silenced_till"] == pause.ends_at.isoformat()
    assert call.body["reason"] == pause.reason
    person = membership(community, "2401", source="discourse")
    with django_capture_on_commit_callbacks(execute=True):
        services.forgive_charges(
            charges=Charge.objects.filter(membership=person, severity="severe"),
            reason="We talked; it was a misunderstanding.",
            by=moderator,
        )
    assert len(forum.calls("PUT", "/admin/users/2401/unsilence.json")) == 1
    assert forum.silenced == {}
    pause.refresh_from_db()
    assert pause.lifted_at is not None
    page = Client()
    page.force_login(moderator)
    html = page.get("/c/garden/integrations/").content.decode()
    assert "user2401's posting" in html and "Member&#x27;s pause lifted early" in html


@pytest.mark.parametrize(
    ("identities", "expected"),
    [
        ([{"source": "discourse", "external_id": "2401", "username": "hal"}], "2401"),
        ([{"source": "api", "external_id": "7"}, {"source": "discourse", "external_id": "9"}], "9"),
        ([{"source": "discourse", "external_id": "hal_rivers"}], None),  # not a forum user id
        ([{"source": "matrix", "external_id": "12"}], None),
        ([], None),
        ("discourse:2401", None),
    ],
)
def test_the_forum_account_is_the_members_discourse_user_id(
    identities: Any, expected: str | None
) -> None:
    assert forum_user_id(identities) == expected


def test_a_long_reason_is_cut_to_what_discourse_accepts() -> None:
    params = silence_params({"ends_at": "2026-12-02T18:30:00+00:00", "reason": "calm " * 100})
    assert len(params["reason"]) == 300
    assert params["silenced_till"] == "2026-12-02T18:30:00+00:00"
    assert params["message"].startswith("Your posting here is paused until 2 Dec 2026, 18:30 UTC")
    assert silence_params({"reason": "no end"}) == {}
