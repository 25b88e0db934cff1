"""Deliveries that once poisoned the sweep: fields longer than our columns, unstorable text,
bodies that are not UTF-8, processing that keeps failing. Each is either stored and processed
(shortened or left out where that is honest, and said so in the note) or refused with a clear
4xx; a delivery that keeps failing is set aside after a bounded number of attempts, and new
deliveries are never starved behind failing ones."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from community.models import ConductEvent, ExternalIdentity, Space
from integrations.discourse import process
from integrations.discourse.process import sweep_deliveries
from integrations.models import DeliveryStatus, DiscourseConnection, InboundDelivery
from integrations.signing import sign
from tests.integrations.helpers import SECRET, FakeDiscourse, deliver, fixture, reviewable

PAGE = "/c/garden/integrations/"


@pytest.fixture
def web(connection: DiscourseConnection) -> Client:
    return Client(enforce_csrf_checks=True)


def post_with(**changes: Any) -> dict[str, Any]:
    data = fixture("post_created")
    data["body"]["post"].update(changes)
    return data


def delivered(
    web: Client, connection: DiscourseConnection, data: dict[str, Any], capture: Any
) -> InboundDelivery:
    with capture(execute=True):
        response = deliver(web, connection, data)
    assert response.status_code == 202, response.content
    return InboundDelivery.objects.get()


def test_a_topic_title_longer_than_a_space_name_is_accepted_and_shortened(
    web: Client, connection: DiscourseConnection, django_capture_on_commit_callbacks: Any
) -> None:
    title = "Shared shed rota " + "and the long list of who waters what " * 6
    assert 200 < len(title) <= 255  # Discourse allows titles up to 255 characters
    delivery = delivered(
        web, connection, post_with(topic_title=title), django_capture_on_commit_callbacks
    )
    assert delivery.status == DeliveryStatus.PROCESSED
    assert delivery.attempts == 1
    topic = Space.objects.get(external_id="topic:46582")
    assert len(topic.name) == 200
    assert topic.name == title[:199] + "…"
    assert ConductEvent.objects.get().space == topic
    assert "shortened" in delivery.note


@pytest.mark.parametrize(
    "username", ["u" * 151, "dark\x00nao", "dark\ud800nao"], ids=["long", "nul", "surrogate"]
)
def test_an_unstorable_username_is_left_out_and_the_post_still_counts(
    web: Client,
    connection: DiscourseConnection,
    django_capture_on_commit_callbacks: Any,
    username: str,
) -> None:
    delivery = delivered(
        web, connection, post_with(username=username), django_capture_on_commit_callbacks
    )
    assert delivery.status == DeliveryStatus.PROCESSED
    identity = ExternalIdentity.objects.get(external_id="2401")
    assert identity.username == ""
    event = ConductEvent.objects.get()
    assert event.member == identity.membership
    assert event.member is not None and event.member.display_name == "discourse user 2401"
    assert "username" in delivery.note


def test_a_long_category_slug_names_the_category_shortened(
    web: Client, connection: DiscourseConnection, django_capture_on_commit_callbacks: Any
) -> None:
    slug = "community-garden-" * 15
    assert len(slug) > 200
    delivery = delivered(
        web, connection, post_with(category_slug=slug), django_capture_on_commit_callbacks
    )
    assert delivery.status == DeliveryStatus.PROCESSED
    category = Space.objects.get(external_id="category:7")
    assert category.name == slug[:199] + "…"
    assert Space.objects.get(external_id="topic:46582").parent == category


def test_a_lone_surrogate_in_a_title_is_replaced_not_fatal(
    web: Client, connection: DiscourseConnection, django_capture_on_commit_callbacks: Any
) -> None:
    delivery = delivered(
        web,
        connection,
        post_with(topic_title="Docs \ud83d meeting", category_slug="pro\x00ject"),
        django_capture_on_commit_callbacks,
    )
    assert delivery.status == DeliveryStatus.PROCESSED
    assert Space.objects.get(external_id="topic:46582").name == "Docs \ufffd meeting"
    assert Space.objects.get(external_id="category:7").name == "pro\ufffdject"
    assert ConductEvent.objects.count() == 1


def test_a_utf16_body_with_a_valid_signature_is_a_clear_400_and_nothing_is_stored(
    web: Client, connection: DiscourseConnection
) -> None:
    body = json.dumps(fixture("post_created")["body"]).encode("utf-16")
    response = web.post(
        f"/integrations/discourse/{connection.pk}/",
        data=body,
        content_type="application/json",
        headers={
            **fixture("post_created")["headers"],
            "X-Discourse-Instance": connection.base_url,
            "X-Discourse-Event-Signature": sign(SECRET, body),
        },
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["status"]
    assert not InboundDelivery.objects.exists()


def test_nesting_deeper_than_any_webhook_is_a_clear_400(
    web: Client, connection: DiscourseConnection
) -> None:
    raw = b'{"post": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # beyond the parser's stack
    response = deliver(web, connection, fixture("post_created"), raw=raw)
    assert response.status_code == 400
    assert not InboundDelivery.objects.exists()


# --- Failing deliveries: bounded attempts, dead letters, no starvation ------------------------


def failing_flags(forum: FakeDiscourse, count: int, *, received_at: Any) -> list[InboundDelivery]:
    """Stored flags whose review detail the forum will not give (it answers 503)."""
    rows = []
    for n in range(count):
        reviewable_id = 9000 + n
        forum.plan[f"GET /review/{reviewable_id}.json"] = [503] * 50
        data = reviewable("reviewable_approved", id=reviewable_id)
        rows.append(
            InboundDelivery(
                connection=DiscourseConnection.objects.get(),
                event_id=f"f{n}",
                event_name="reviewable_transitioned_to",
                event_type="reviewable",
                content_key=f"flag:{n}",
                headers=data["headers"],
                body=json.dumps(data["body"]),
                received_at=received_at,
            )
        )
    return InboundDelivery.objects.bulk_create(rows)


def stored_post(post_id: int, *, received_at: Any) -> InboundDelivery:
    data = post_with(id=post_id)
    return InboundDelivery.objects.create(
        connection=DiscourseConnection.objects.get(),
        event_id=f"p{post_id}",
        event_name="post_created",
        event_type="post",
        content_key=f"post:{post_id}",
        headers=data["headers"],
        body=json.dumps(data["body"]),
        received_at=received_at,
    )


def test_two_hundred_failing_deliveries_do_not_starve_a_new_one(
    connection: DiscourseConnection, forum: FakeDiscourse
) -> None:
    failing_flags(forum, 200, received_at=timezone.now() - timedelta(hours=1))
    sweep_deliveries()  # the forum is down: every one of them fails
    assert InboundDelivery.objects.filter(status=DeliveryStatus.FAILED).count() == 200
    for post_id in (1, 2):
        # The failing ones are due again at once, and are older; the new delivery goes first.
        post = stored_post(post_id, received_at=timezone.now() - timedelta(minutes=2))
        sweep_deliveries()
        post.refresh_from_db()
        assert post.status == DeliveryStatus.PROCESSED
    assert ConductEvent.objects.filter(kind="post").count() == 2
    assert InboundDelivery.objects.filter(status=DeliveryStatus.FAILED).count() == 200


def test_attempts_are_counted_and_a_delivery_that_keeps_failing_is_set_aside(
    connection: DiscourseConnection, forum: FakeDiscourse
) -> None:
    (flag,) = failing_flags(forum, 1, received_at=timezone.now() - timedelta(minutes=5))
    seen = []
    clock = timezone.now()
    for _ in range(InboundDelivery.MAX_ATTEMPTS + 3):
        with time_machine.travel(clock, tick=False):
            sweep_deliveries()
        flag.refresh_from_db()
        seen.append(flag.attempts)
        clock += timedelta(days=1)
    maximum = InboundDelivery.MAX_ATTEMPTS
    assert seen == [*range(1, maximum + 1), maximum, maximum, maximum]
    assert flag.status == DeliveryStatus.DEAD_LETTER
    assert flag.note.startswith(f"Set aside after {maximum} attempts")
    assert "The forum did not answer" in flag.note and "503" in flag.note
    assert len(forum.calls("GET", "/review/9000.json")) == maximum


def test_a_retry_waits_for_its_backoff(
    connection: DiscourseConnection, forum: FakeDiscourse
) -> None:
    (flag,) = failing_flags(forum, 1, received_at=timezone.now() - timedelta(minutes=5))
    sweep_deliveries()
    sweep_deliveries()  # the first retry is due at once (the next sweep)
    flag.refresh_from_db()
    assert flag.attempts == 2 and flag.next_attempt_at is not None
    assert flag.next_attempt_at > timezone.now() + timedelta(seconds=50)
    sweep_deliveries()
    flag.refresh_from_db()
    assert flag.attempts == 2  # not due yet


def test_an_unexpected_error_counts_as_an_attempt(
    connection: DiscourseConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("value too long for type character varying(200)")

    monkeypatch.setattr(process, "persist_parsed", broken)
    post = stored_post(1, received_at=timezone.now() - timedelta(minutes=2))
    for _ in range(InboundDelivery.MAX_ATTEMPTS):
        process.process_delivery(delivery_id=post.pk)
    post.refresh_from_db()
    assert post.attempts == InboundDelivery.MAX_ATTEMPTS
    assert post.status == DeliveryStatus.DEAD_LETTER
    assert "unexpected error" in post.note and "varying(200)" in post.note
    process.process_delivery(delivery_id=post.pk)
    post.refresh_from_db()
    assert post.attempts == InboundDelivery.MAX_ATTEMPTS  # a dead letter is left alone


def dead_letter(forum: FakeDiscourse) -> InboundDelivery:
    (flag,) = failing_flags(forum, 1, received_at=timezone.now() - timedelta(minutes=5))
    for _ in range(InboundDelivery.MAX_ATTEMPTS):
        process.process_delivery(delivery_id=flag.pk)
    flag.refresh_from_db()
    assert flag.status == DeliveryStatus.DEAD_LETTER
    return flag


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_moderators_see_why_a_delivery_was_set_aside_and_can_try_again(
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    moderator: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    flag = dead_letter(forum)
    stored_post(127406, received_at=timezone.now() - timedelta(minutes=9))
    client = logged_in(moderator)
    page = client.get(PAGE).content.decode()
    assert "Set aside after 8 attempts" in page
    assert "The forum did not answer" in page
    retry = f"/c/garden/integrations/discourse/deliveries/{flag.pk}/retry/"
    assert retry in page and "Try again" in page
    forum.plan.clear()  # the forum is back
    forum.review = fixture("review_5121")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry)
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == DeliveryStatus.PROCESSED
    assert flag.attempts == 1
    assert ConductEvent.objects.filter(kind="flag_upheld").count() == 1


def test_trying_again_from_the_page_as_htmx_returns_the_section(
    connection: DiscourseConnection, forum: FakeDiscourse, moderator: User
) -> None:
    flag = dead_letter(forum)
    response = logged_in(moderator).post(
        f"/c/garden/integrations/discourse/deliveries/{flag.pk}/retry/",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="discourse"')
    flag.refresh_from_db()
    assert (flag.status, flag.attempts) == (DeliveryStatus.PENDING, 0)


def test_trying_again_is_refused_for_non_moderators(
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    member: User,
    outsider: User,
    other_moderator: User,
) -> None:
    flag = dead_letter(forum)
    retry = f"/c/garden/integrations/discourse/deliveries/{flag.pk}/retry/"
    assert Client().post(retry).status_code == 302  # to the login page
    assert logged_in(member).post(retry).status_code == 403
    assert logged_in(outsider).post(retry).status_code == 403
    assert logged_in(other_moderator).post(retry).status_code == 403
    other = f"/c/chess/integrations/discourse/deliveries/{flag.pk}/retry/"
    assert logged_in(other_moderator).post(other).status_code == 404
    flag.refresh_from_db()
    assert flag.status == DeliveryStatus.DEAD_LETTER
    assert flag.attempts == InboundDelivery.MAX_ATTEMPTS
