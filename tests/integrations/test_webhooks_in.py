"""Discourse webhooks in: real captured deliveries replayed through the real endpoint."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client
from kombu.exceptions import OperationalError

from community.models import ConductEvent, ExternalIdentity, Space
from integrations import tasks
from integrations.discourse import receive
from integrations.discourse.connection import update_discourse_mapping
from integrations.discourse.process import sweep_deliveries
from integrations.models import DeliveryStatus, DiscourseConnection, InboundDelivery
from tests.integrations.helpers import FakeDiscourse, deliver, fixture, reviewable


@pytest.fixture
def web(connection: DiscourseConnection) -> Client:
    # CSRF checks on, as in production: the endpoint must be exempt.
    return Client(enforce_csrf_checks=True)


def test_a_real_post_created_delivery_becomes_a_post_by_its_author(
    web: Client, connection: DiscourseConnection, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(web, connection, fixture("post_created"))
    assert response.status_code == 202
    delivery = InboundDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PROCESSED
    assert delivery.event_id == "158765"
    assert json.loads(delivery.body)["post"]["id"] == 79563
    assert delivery.headers["X-Discourse-Event"] == "post_created"
    event = ConductEvent.objects.get()
    assert (event.kind, event.source, event.external_id) == ("post", "discourse", "post:79563")
    assert event.subject == "post:79563"
    assert event.occurred_at.isoformat() == "2023-02-09T10:19:46.324000+00:00"
    assert event.member is not None and event.member.display_name == "darknao"
    assert ExternalIdentity.objects.get(external_id="2401").username == "darknao"
    topic = event.space
    assert topic is not None
    assert (topic.kind, topic.external_id, topic.name) == (
        "topic",
        "topic:46582",
        "Docs meeting agenda: 2023-02-08",
    )
    assert topic.parent is not None and topic.parent.external_id == "category:7"


def test_the_same_delivery_twice_is_stored_once(
    web: Client, connection: DiscourseConnection
) -> None:
    assert deliver(web, connection, fixture("post_created")).status_code == 202
    again = deliver(web, connection, fixture("post_created"))
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    assert InboundDelivery.objects.count() == 1


def test_a_discourse_retry_with_a_new_event_id_is_a_duplicate(
    web: Client, connection: DiscourseConnection
) -> None:
    assert deliver(web, connection, fixture("post_edited")).status_code == 202
    retry = deliver(web, connection, fixture("post_edited"), event_id="83177")
    assert retry.json() == {"status": "duplicate"}
    assert InboundDelivery.objects.count() == 1


def test_a_new_version_of_a_post_is_news_but_not_a_second_post(
    web: Client, connection: DiscourseConnection, django_capture_on_commit_callbacks: Any
) -> None:
    edited = fixture("post_edited")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(web, connection, edited)
        edited["body"]["post"]["version"] = 4
        assert deliver(web, connection, edited, event_id="83190").status_code == 202
    assert InboundDelivery.objects.count() == 2
    assert list(ConductEvent.objects.values_list("external_id", flat=True)) == ["post:127406"]


def _refused(response: Any, status: int) -> None:
    assert response.status_code == status
    assert not InboundDelivery.objects.exists()
    assert not ConductEvent.objects.exists()


def test_a_bad_signature_is_refused_and_logged(
    web: Client, connection: DiscourseConnection, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="integrations.discourse.receive"):
        response = deliver(web, connection, fixture("post_created"), secret="not-the-secret-123")
    _refused(response, 403)
    assert "discourse webhook rejected" in caplog.text and "signature" in caplog.text


def test_a_missing_signature_is_refused(web: Client, connection: DiscourseConnection) -> None:
    _refused(
        deliver(
            web, connection, fixture("post_created"), headers={"X-Discourse-Event-Signature": ""}
        ),
        403,
    )


def test_a_body_changed_after_signing_is_refused(
    web: Client, connection: DiscourseConnection
) -> None:
    body = json.dumps(fixture("post_created")["body"]).encode()
    from integrations.signing import sign

    response = web.post(
        f"/integrations/discourse/{connection.pk}/",
        data=body.replace(b"darknao", b"someone"),
        content_type="application/json",
        headers={
            **fixture("post_created")["headers"],
            "X-Discourse-Instance": connection.base_url,
            "X-Discourse-Event-Signature": sign("test-webhook-secret-123", body),
        },
    )
    _refused(response, 403)


def test_another_forum_instance_is_refused(web: Client, connection: DiscourseConnection) -> None:
    response = deliver(
        web,
        connection,
        fixture("post_created"),
        headers={"X-Discourse-Instance": "https://discussion.fedoraproject.org"},
    )
    _refused(response, 403)


def test_malformed_json_is_refused(web: Client, connection: DiscourseConnection) -> None:
    _refused(deliver(web, connection, fixture("post_created"), raw=b'{"post": {'), 400)


def test_a_json_array_is_refused(web: Client, connection: DiscourseConnection) -> None:
    _refused(deliver(web, connection, fixture("post_created"), raw=b"[1, 2]"), 400)


def test_a_delivery_without_an_event_name_is_refused(
    web: Client, connection: DiscourseConnection
) -> None:
    response = deliver(web, connection, fixture("post_created"), headers={"X-Discourse-Event": ""})
    _refused(response, 400)


def test_a_body_over_the_size_limit_is_refused(
    web: Client, connection: DiscourseConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receive, "MAX_BODY_BYTES", 1000)
    big = fixture("post_created")
    big["body"]["post"]["raw"] = "x" * 2000
    _refused(deliver(web, connection, big), 413)


def test_an_unknown_connection_is_refused(web: Client, connection: DiscourseConnection) -> None:
    other = DiscourseConnection(pk="00000000-0000-4000-8000-000000000000", base_url="http://x")
    _refused(deliver(web, other, fixture("post_created")), 404)


def test_the_endpoint_only_takes_post(web: Client, connection: DiscourseConnection) -> None:
    assert web.get(f"/integrations/discourse/{connection.pk}/").status_code == 405


def test_ping_and_unknown_events_are_stored_and_acknowledged(
    web: Client, connection: DiscourseConnection, django_capture_on_commit_callbacks: Any
) -> None:
    ping = {
        "headers": {"X-Discourse-Event": "ping", "X-Discourse-Event-Type": "ping"},
        "body": {"ping": "OK"},
    }
    badge = {
        "headers": {
            "X-Discourse-Event": "user_badge_granted",
            "X-Discourse-Event-Type": "user_badge",
        },
        "body": {"user_badge": {"id": 3, "badge_id": 7, "user_id": 2401}},
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(web, connection, ping, event_id="1").status_code == 202
        assert deliver(web, connection, badge, event_id="2").status_code == 202
    notes = dict(InboundDelivery.objects.values_list("event_name", "status"))
    assert notes == {"ping": "ignored", "user_badge_granted": "ignored"}
    assert not ConductEvent.objects.exists()


def test_private_messages_are_ignored_by_default(
    web: Client, connection: DiscourseConnection, django_capture_on_commit_callbacks: Any
) -> None:
    pm = fixture("post_created")
    pm["body"]["post"]["topic_archetype"] = "private_message"
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(web, connection, pm).status_code == 202
    assert InboundDelivery.objects.get().status == DeliveryStatus.IGNORED
    assert not ConductEvent.objects.exists()


def test_private_messages_count_when_the_community_asks(
    web: Client, connection: DiscourseConnection, django_capture_on_commit_callbacks: Any
) -> None:
    connection.include_private_messages = True
    connection.save()
    pm = fixture("post_created")
    pm["body"]["post"]["topic_archetype"] = "private_message"
    with django_capture_on_commit_callbacks(execute=True):
        deliver(web, connection, pm)
    assert ConductEvent.objects.get().kind == "post"


def test_a_real_topic_created_delivery_makes_a_topic_space_in_its_mapped_category(
    web: Client,
    connection: DiscourseConnection,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ask = Space.objects.create(community=connection.community, name="Ask in English")
    update_discourse_mapping(
        connection=connection,
        category_spaces={"97": ask.pk},
        flag_severities=connection.flag_severities,
        include_private_messages=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(web, connection, fixture("topic_created")).status_code == 202
    topic = Space.objects.get(external_id="topic:31739")
    assert topic.kind == "topic" and topic.parent == ask
    assert topic.name == "No updates published for f37 Silverblue since Feb 9th?"
    assert ExternalIdentity.objects.get(external_id="10766").username == "awarda"
    assert not Space.objects.filter(external_id="category:97").exists()


def test_users_become_identities_and_suspensions_are_recorded(
    web: Client, connection: DiscourseConnection, django_capture_on_commit_callbacks: Any
) -> None:
    user = {"id": 11878, "username": "johnnee8", "name": "", "trust_level": 1}
    created = {
        "headers": {"X-Discourse-Event": "user_created", "X-Discourse-Event-Type": "user"},
        "body": {"user": user},
    }
    renamed = {
        "headers": {"X-Discourse-Event": "user_updated", "X-Discourse-Event-Type": "user"},
        "body": {"user": {**user, "username": "johnny"}},
    }
    suspended = {
        "headers": {"X-Discourse-Event": "user_suspended", "X-Discourse-Event-Type": "user"},
        "body": {
            "user": {
                **user,
                "username": "johnny",
                "suspended_at": "2023-02-11T08:00:00Z",
                "suspended_till": "2023-02-18T08:00:00Z",
            }
        },
    }
    with django_capture_on_commit_callbacks(execute=True):
        for n, item in enumerate((created, renamed, suspended)):
            assert deliver(web, connection, item, event_id=str(n)).status_code == 202
    assert ExternalIdentity.objects.get(external_id="11878").username == "johnny"
    event = ConductEvent.objects.get()
    assert event.kind == "user_suspended" and event.member is not None
    assert event.occurred_at.isoformat() == "2023-02-11T08:00:00+00:00"
    assert event.payload["suspended_till"] == "2023-02-18T08:00:00Z"


# --- Flags ------------------------------------------------------------------------------------


@pytest.fixture
def flagged_post(
    web: Client,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    django_capture_on_commit_callbacks: Any,
) -> ConductEvent:
    forum.review = fixture("review_5121")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(web, connection, fixture("post_edited"))
    return ConductEvent.objects.get(external_id="post:127406")


def _flags() -> list[tuple[str, str, str, str]]:
    return list(
        ConductEvent.objects.exclude(kind="post")
        .order_by("pk")
        .values_list("kind", "category", "severity", "member__display_name")
    )


def test_a_flag_raised_fetches_the_review_detail_and_is_a_signal(
    web: Client,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    flagged_post: ConductEvent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(web, connection, fixture("reviewable_created")).status_code == 202
    fetch = forum.calls("GET", "/review/5121.json")
    assert len(fetch) == 1
    assert fetch[0].headers["Api-Key"] == "discourse-api-key-abc"
    assert fetch[0].headers["Api-Username"] == "system"
    assert _flags() == [("flag_raised", "inappropriate", "", "johnnee8")]
    raised = ConductEvent.objects.get(kind="flag_raised")
    assert raised.subject == flagged_post.subject == "post:127406"
    assert raised.occurred_at == flagged_post.occurred_at
    assert raised.payload["flaggers"] == ["computersavvy", "glb"]


def test_an_approved_flag_is_friction_charged_to_the_author_not_the_flagger(
    web: Client,
    connection: DiscourseConnection,
    flagged_post: ConductEvent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        deliver(web, connection, fixture("reviewable_created"))
        deliver(web, connection, fixture("reviewable_approved"))
    # inappropriate (moderate) outranks off_topic (minor) among the two flags.
    assert _flags() == [
        ("flag_raised", "inappropriate", "", "johnnee8"),
        ("flag_upheld", "inappropriate", "moderate", "johnnee8"),
    ]
    upheld = ConductEvent.objects.get(kind="flag_upheld")
    assert upheld.member == flagged_post.member
    assert upheld.occurred_at == flagged_post.occurred_at  # the time of the behaviour
    assert upheld.space == flagged_post.space


def test_the_community_severity_mapping_applies(
    web: Client,
    connection: DiscourseConnection,
    flagged_post: ConductEvent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    connection.flag_severities = {**connection.flag_severities, "inappropriate": "severe"}
    connection.save()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(web, connection, fixture("reviewable_approved"))
    assert ConductEvent.objects.get(kind="flag_upheld").severity == "severe"


def test_a_reversal_on_the_forum_emits_flag_rejected_for_the_same_subject(
    web: Client,
    connection: DiscourseConnection,
    flagged_post: ConductEvent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        deliver(web, connection, fixture("reviewable_approved"))
        deliver(web, connection, fixture("reviewable_rejected"))
    kinds = list(
        ConductEvent.objects.exclude(kind="post").order_by("pk").values_list("kind", "subject")
    )
    assert kinds == [("flag_upheld", "post:127406"), ("flag_rejected", "post:127406")]


@pytest.mark.parametrize("status", [3, 4])
def test_ignored_or_deleted_flags_are_not_charges(
    web: Client,
    connection: DiscourseConnection,
    flagged_post: ConductEvent,
    django_capture_on_commit_callbacks: Any,
    status: int,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        deliver(web, connection, reviewable("reviewable_approved", status=status, version=5))
    assert _flags() == []
    assert InboundDelivery.objects.get(event_name="reviewable_transitioned_to").note.startswith(
        "flag ignored or deleted"
    )


def test_ignoring_a_flag_that_was_upheld_reverses_it(
    web: Client,
    connection: DiscourseConnection,
    flagged_post: ConductEvent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        deliver(web, connection, fixture("reviewable_approved"))
        deliver(
            web, connection, reviewable("reviewable_approved", status=3, version=4), event_id="904"
        )
    assert [k for k, *_ in _flags()] == ["flag_upheld", "flag_rejected"]


def test_a_reviewable_update_with_the_same_version_is_a_duplicate(
    web: Client, connection: DiscourseConnection, flagged_post: ConductEvent
) -> None:
    assert deliver(web, connection, fixture("reviewable_approved")).status_code == 202
    retry = deliver(web, connection, fixture("reviewable_approved"), event_id="99999")
    assert retry.json() == {"status": "duplicate"}


def test_an_unreachable_forum_leaves_the_flag_for_the_sweep(
    web: Client,
    connection: DiscourseConnection,
    forum: FakeDiscourse,
    flagged_post: ConductEvent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    forum.plan["GET /review/5121.json"] = [503]
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(web, connection, fixture("reviewable_approved")).status_code == 202
    delivery = InboundDelivery.objects.get(event_name="reviewable_transitioned_to")
    assert delivery.status == DeliveryStatus.FAILED and "503" in delivery.note
    assert _flags() == []
    from datetime import timedelta

    assert sweep_deliveries(older_than=timedelta(0)) == 1
    assert _flags() == [("flag_upheld", "inappropriate", "moderate", "johnnee8")]


def test_deliveries_are_stored_while_the_broker_is_down_and_the_sweep_processes_them(
    web: Client,
    connection: DiscourseConnection,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.drain_discourse_deliveries, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(web, connection, fixture("post_created")).status_code == 202
        assert deliver(web, connection, fixture("post_edited")).status_code == 202
    assert InboundDelivery.objects.filter(status="pending").count() == 2
    assert not ConductEvent.objects.exists()
    monkeypatch.undo()
    tasks.sweep_discourse_deliveries.delay()  # too recent for the default sweep
    assert not ConductEvent.objects.exists()
    from datetime import timedelta

    assert sweep_deliveries(older_than=timedelta(0)) == 2
    assert ConductEvent.objects.count() == 2
    assert not InboundDelivery.objects.pending().exists()
