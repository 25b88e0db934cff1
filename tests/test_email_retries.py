"""A notification's e-mail that fails for a transient reason is tried again, a bounded number of
times with a growing delay, every try recorded; it is never sent twice, and a permanent refusal
or the last try ends it for good. The mail server is the seam: a backend that fails on cue, then
behaves like Django's in-memory one."""

from __future__ import annotations

import smtplib
from typing import Any, ClassVar

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import override_settings

from budgets import services as budget_services
from budgets.models import Notice, NoticeAudience
from community.models import (
    Channel,
    Community,
    DeliveryOutcome,
    Membership,
    Notification,
    NotificationKind,
)
from community.notifications import email_notification, mail_failure, notify
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


class FlakyMail(EmailBackend):
    """Takes the queued outcomes one send at a time (an error is raised, ``None`` delivers), then
    delivers to ``mail.outbox``."""

    failures: ClassVar[list[BaseException | None]] = []

    def send_messages(self, email_messages: Any) -> int:
        failure = FlakyMail.failures.pop(0) if FlakyMail.failures else None
        if failure is not None:
            raise failure
        return super().send_messages(email_messages)


FLAKY = override_settings(MAILERS={"default": {"BACKEND": "tests.test_email_retries.FlakyMail"}})


@pytest.fixture(autouse=True)
def _no_failures_left() -> Any:
    FlakyMail.failures = []
    yield
    FlakyMail.failures = []


def _email_rows(notification: Notification) -> list[tuple[str, int]]:
    return list(
        notification.deliveries.filter(channel=Channel.EMAIL)
        .order_by("pk")
        .values_list("outcome", "attempt")
    )


def _notify(community: Community, membership: Membership, capture: Any) -> Notification:
    with capture(execute=True):
        (notification,) = notify(
            community=community,
            recipients=[membership],
            kind=NotificationKind.REPORT_RESOLVED,
            title="The conversation you reported has calmed down",
            body="Thank you for telling us.",
        )
    return notification


@FLAKY
def test_a_dropped_connection_is_tried_again_and_the_email_goes_out_once(
    community: Community, member_membership: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    FlakyMail.failures = [
        smtplib.SMTPServerDisconnected("connection unexpectedly closed"),
        ConnectionRefusedError(111, "Connection refused"),
    ]
    notification = _notify(community, member_membership, django_capture_on_commit_callbacks)
    assert _email_rows(notification) == [
        (DeliveryOutcome.QUEUED, 0),
        (DeliveryOutcome.RETRYING, 1),
        (DeliveryOutcome.RETRYING, 2),
        (DeliveryOutcome.SENT, 3),
    ]
    details = list(
        notification.deliveries.filter(outcome=DeliveryOutcome.RETRYING).values_list(
            "detail", flat=True
        )
    )
    assert "connection unexpectedly closed" in details[0] and "again in 60 s" in details[0]
    assert "Connection refused" in details[1] and "again in 120 s" in details[1]
    assert len(mail.outbox) == 1
    # A duplicated or late task after the e-mail went out sends nothing and records nothing.
    assert email_notification(notification_id=notification.pk) is False
    # The registered task, run by name as a worker would, does nothing either.
    celery_app.tasks["community.email_notification"].apply(args=[notification.pk])
    assert len(mail.outbox) == 1
    assert len(_email_rows(notification)) == 4


@FLAKY
def test_after_the_last_attempt_the_email_is_given_up_for_good(
    community: Community,
    member_membership: Membership,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 5
    FlakyMail.failures = [TimeoutError("timed out") for _ in range(10)]
    notification = _notify(community, member_membership, django_capture_on_commit_callbacks)
    rows = _email_rows(notification)
    assert rows == [(DeliveryOutcome.QUEUED, 0)] + [
        (DeliveryOutcome.RETRYING, n) for n in range(1, 5)
    ] + [(DeliveryOutcome.FAILED, 5)]
    final = notification.deliveries.get(outcome=DeliveryOutcome.FAILED)
    assert final.detail.startswith("Gave up after 5 attempts: timed out")
    assert mail.outbox == []
    assert len(FlakyMail.failures) == 5  # five tries were made, no more
    # Given up means given up: another task for it tries nothing.
    assert email_notification(notification_id=notification.pk) is False
    assert len(FlakyMail.failures) == 5
    # The notice itself is still in the app.
    assert Notification.objects.for_recipient(member_membership).filter(pk=notification.pk)


@FLAKY
def test_a_refused_address_is_not_retried(
    community: Community, member_membership: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    FlakyMail.failures = [
        smtplib.SMTPRecipientsRefused({"milo@example.org": (550, b"No such user")})
    ]
    notification = _notify(community, member_membership, django_capture_on_commit_callbacks)
    assert _email_rows(notification) == [(DeliveryOutcome.QUEUED, 0), (DeliveryOutcome.FAILED, 1)]
    detail = notification.deliveries.get(outcome=DeliveryOutcome.FAILED).detail
    assert detail.startswith("Refused by the mail server, not retried")


def test_the_delay_doubles_and_only_server_refusals_are_permanent(settings: Any) -> None:
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 5
    settings.NOTIFICATION_EMAIL_RETRY_SECONDS = 60
    busy = smtplib.SMTPResponseException(451, b"try again later")
    assert [mail_failure(attempt=n, exc=busy).retry_in for n in range(1, 6)] == [
        60,
        120,
        240,
        480,
        None,
    ]
    refused = smtplib.SMTPDataError(554, b"message refused")
    assert mail_failure(attempt=1, exc=refused).retry_in is None
    assert mail_failure(attempt=1, exc=OSError("network unreachable")).retry_in == 60


@FLAKY
def test_a_nudge_email_that_fails_is_tried_again_alone_and_sent_once(
    community: Community, member_membership: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    notice = Notice.objects.create(
        community=community,
        membership=member_membership,
        audience=NoticeAudience.MEMBER,
        kind="private_nudge",
        title="A quiet note: your budget has less room for now",
        body="Nothing is decided about you.",
    )
    FlakyMail.failures = [smtplib.SMTPServerDisconnected("went away")]
    with django_capture_on_commit_callbacks(execute=True):
        sent_first = budget_services.email_notices(notice_ids=[notice.pk])
    assert sent_first == 0
    notice.refresh_from_db()
    assert notice.emailed_at is not None  # the retry, after commit, sent it
    assert len(mail.outbox) == 1
    # Sent is sent: the same nudge again is not e-mailed a second time.
    assert budget_services.email_notices(notice_ids=[notice.pk]) == 0
    assert len(mail.outbox) == 1
