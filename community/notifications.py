"""Telling people things: one service every app calls (``notify``), reading, preferences and the
e-mail copy.

Every notification is recorded, and so is each way it went out: in the app (shown, or not
shown because the person turned the kind off) and by e-mail (queued, then sent or failed, or
not sent and why). A notice about a member's own budget, cooldown or appeal is always shown in
the app, whatever the preference: it is about them and they must be able to find it.
E-mail leaves after commit through a task (``community.email_notification``); a transient
mail-server failure is tried again, a bounded number of times, and every try is recorded.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from community.jobs import enqueue_after_commit
from community.language import language_of_notification, languages_for
from community.models import (
    ALWAYS_IN_APP,
    MODERATOR_KINDS,
    Channel,
    Community,
    DeliveryOutcome,
    Membership,
    Notification,
    NotificationDelivery,
    NotificationKind,
    NotificationPreference,
)
from community.services import ServiceError

logger = logging.getLogger(__name__)

EMAIL_TASK = "community.email_notification"


@dataclass(frozen=True)
class Choice:
    """What a person wants for one kind of notice."""

    in_app: bool = True
    email: bool = True


def choices_for(membership: Membership) -> dict[str, Choice]:
    """Every kind's choice for ``membership`` (defaults where nothing is stored)."""
    stored = {
        p.kind: Choice(in_app=p.in_app or p.kind in ALWAYS_IN_APP, email=p.email)
        for p in NotificationPreference.objects.filter(membership=membership)
    }
    return {kind: stored.get(kind, Choice()) for kind in NotificationKind.values}


def kinds_for(membership: Membership) -> list[str]:
    """The kinds that can reach ``membership`` (moderators get all; members their own)."""
    if membership.is_moderator:
        return list(NotificationKind.values)
    return [k for k in NotificationKind.values if k not in MODERATOR_KINDS]


# A notice's words: a string, a lazy translation (``gettext_lazy``) or a function that builds
# the sentence; the last two are said in the recipient's language, not the caller's.
type Words = str | Promise | Callable[[], str]


def say(words: Words) -> str:
    """``words`` in the language active now (``notify_each`` activates the recipient's)."""
    return words() if callable(words) else str(words)


@dataclass(frozen=True)
class Message:
    """One notice for one person (for :func:`notify_each`)."""

    recipient: Membership
    title: Words
    body: Words = ""
    link: str = ""
    key: str | None = None


def notify(
    *,
    community: Community,
    recipients: Iterable[Membership],
    kind: str,
    title: Words,
    body: Words = "",
    link: str = "",
    key: str | None = None,
    email: bool = True,
) -> list[Notification]:
    """Tell each of ``recipients`` the same thing, in the caller's transaction, each in their
    own language (``community.language.language_for_membership``).

    Shown in the app unless the person turned ``kind`` off (never for ``ALWAYS_IN_APP``);
    e-mailed after commit if they want it and have an address. ``email=False`` is for a caller
    that sends the e-mail copy itself (it records that delivery with :func:`record_email`).
    ``key`` makes a retried caller notify once (it is suffixed with each recipient's id).
    Returns the notifications created.
    """
    return notify_each(
        community=community,
        kind=kind,
        messages=[
            Message(recipient=m, title=title, body=body, link=link, key=key) for m in recipients
        ],
        email=email,
    )


def notify_each(
    *, community: Community, kind: str, messages: Sequence[Message], email: bool = True
) -> list[Notification]:
    """Like :func:`notify`, with words of its own for each person; a constant number of
    queries however many people (a recalculation may change many budgets at once)."""
    if kind not in NotificationKind.values:
        raise ServiceError(f"Unknown kind of notification: {kind}.")
    wanted = [m for m in messages if m.recipient.community_id == community.pk]
    keys = {m: f"{m.key}:{m.recipient.pk}" if m.key else "" for m in wanted}
    taken = set(
        Notification.objects.filter(key__in=[k for k in keys.values() if k]).values_list(
            "key", flat=True
        )
    )
    wanted = [m for m in wanted if not keys[m] or keys[m] not in taken]
    if not wanted:
        return []
    people = {m.recipient.pk for m in wanted}
    prefs = {
        p.membership_id: p
        for p in NotificationPreference.objects.filter(membership_id__in=people, kind=kind)
    }
    users = dict(Membership.objects.filter(pk__in=people).values_list("pk", "user_id"))
    with_address = set(
        Membership.objects.filter(pk__in=people, user__isnull=False)
        .exclude(user__email="")
        .values_list("pk", flat=True)
    )
    languages = languages_for(community=community, users=users)
    now = timezone.now()
    notifications = []
    for m in wanted:
        with translation.override(languages[m.recipient.pk]):
            title, body = say(m.title), say(m.body)
        notifications.append(
            Notification(
                community=community,
                recipient=m.recipient,
                kind=kind,
                title=title[:200],
                body=body,
                link=m.link[:300],
                key=keys[m],
                in_app=_shown(kind, prefs.get(m.recipient.pk)),
                created_at=now,
            )
        )
    created = Notification.objects.bulk_create(notifications)
    deliveries: list[NotificationDelivery] = []
    for notification in created:
        pref = prefs.get(notification.recipient_id)
        language = languages[notification.recipient_id]
        deliveries.append(
            NotificationDelivery(
                notification=notification,
                channel=Channel.IN_APP,
                outcome=DeliveryOutcome.SHOWN if notification.in_app else DeliveryOutcome.SKIPPED,
                detail="" if notification.in_app else "Turned off in the app by the person.",
                language=language,
                at=now,
            )
        )
        if not email:
            continue
        if pref is not None and not pref.email:
            outcome, detail = DeliveryOutcome.SKIPPED, "E-mail turned off by the person."
        elif notification.recipient_id not in with_address:
            outcome, detail = DeliveryOutcome.SKIPPED, "No e-mail address on the account."
        else:
            outcome, detail = DeliveryOutcome.QUEUED, ""
            enqueue_after_commit(EMAIL_TASK, notification.pk)
        deliveries.append(
            NotificationDelivery(
                notification=notification,
                channel=Channel.EMAIL,
                outcome=outcome,
                detail=detail,
                language=language,
                at=now,
            )
        )
    NotificationDelivery.objects.bulk_create(deliveries)
    return created


def _shown(kind: str, pref: NotificationPreference | None) -> bool:
    return kind in ALWAYS_IN_APP or pref is None or pref.in_app


def wants_email(*, membership: Membership, kind: str) -> bool:
    pref = NotificationPreference.objects.filter(membership=membership, kind=kind).first()
    return pref is None or pref.email


def record_email(
    *, key: str, membership: Membership, outcome: str, detail: str = "", attempt: int = 0
) -> None:
    """Record the e-mail copy a caller sent itself (``notify(..., email=False)``)."""
    notification = Notification.objects.filter(key=f"{key}:{membership.pk}").first()
    if notification is not None:
        NotificationDelivery.objects.create(
            notification=notification,
            channel=Channel.EMAIL,
            outcome=outcome,
            detail=detail,
            attempt=attempt,
            language=translation.get_language() or "",
        )


# What sending can raise: smtplib's errors, and socket errors (refused, reset, timed out).
MAIL_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)


@dataclass(frozen=True)
class MailFailure:
    """What to do after a failed try at sending: try again in ``retry_in`` seconds, or (None)
    stop, with the words to record either way."""

    retry_in: int | None
    detail: str


def mail_failure(*, attempt: int, exc: BaseException) -> MailFailure:
    """A mail server's refusal with a 5xx code (a refused address, a message refused for good) is
    permanent; anything else (a dropped connection, a timeout, a 4xx "try later") is tried again
    with a doubling delay until ``NOTIFICATION_EMAIL_MAX_ATTEMPTS`` tries have been made."""
    limit = settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS
    code = getattr(exc, "smtp_code", None)
    permanent = isinstance(exc, smtplib.SMTPRecipientsRefused) or (
        isinstance(code, int) and code >= 500
    )
    tries = f"{attempt} attempt{'' if attempt == 1 else 's'}"
    if permanent:
        return MailFailure(None, f"Refused by the mail server, not retried: {exc}"[:300])
    if attempt >= limit:
        return MailFailure(None, f"Gave up after {tries}: {exc}"[:300])
    delay = settings.NOTIFICATION_EMAIL_RETRY_SECONDS * 2 ** (attempt - 1)
    return MailFailure(
        delay, f"Attempt {attempt} of {limit} failed ({exc}); again in {delay} s."[:300]
    )


def email_notification(*, notification_id: int) -> bool:
    """Send the e-mail copy of one notification, at most once, trying again after a transient
    failure up to ``NOTIFICATION_EMAIL_MAX_ATTEMPTS`` times with a doubling delay.

    Every try is recorded as a delivery (its attempt number, and the mail server's error when it
    failed: ``retrying``, then ``sent`` or a final ``failed``). The attempt count is read from
    those records, not from the task, so a duplicated or late task neither sends twice after a
    ``sent`` nor tries again after the final ``failed``. The notice stays in the app either way.
    Returns whether it was sent now."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient__user", "community")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return False
        outcomes = list(
            notification.deliveries.filter(channel=Channel.EMAIL).values_list("outcome", flat=True)
        )
        if DeliveryOutcome.SENT in outcomes or DeliveryOutcome.FAILED in outcomes:
            return False
        with translation.override(language_of_notification(notification)):
            return _email_once(notification, attempt=outcomes.count(DeliveryOutcome.RETRYING) + 1)


def _email_once(notification: Notification, *, attempt: int) -> bool:
    """One try at the e-mail copy, in the language the notice was written in."""
    user = notification.recipient.user
    address = user.email if user is not None else ""
    if not address or not wants_email(membership=notification.recipient, kind=notification.kind):
        _email_outcome(notification, DeliveryOutcome.SKIPPED, "Turned off before sending.")
        return False
    link = f"{settings.SITE_URL}{notification.link}" if notification.link else ""
    message = notification.body + (f"\n\n{link}\n" if link else "\n")
    message += "\n" + _("Choose what reaches you by e-mail: %(link)s") % {
        "link": f"{settings.SITE_URL}/c/{notification.community.slug}/notifications/preferences/"
    }
    message += "\n"
    return try_email(
        what=f"notification {notification.pk}",
        subject=f"{notification.community.name}: {notification.title}",
        message=message,
        address=address,
        attempt=attempt,
        record=lambda outcome, detail: _email_outcome(notification, outcome, detail, attempt),
        retry=lambda delay: enqueue_after_commit(EMAIL_TASK, notification.pk, countdown=delay),
    )


def try_email(
    *,
    what: str,
    subject: str,
    message: str,
    address: str,
    attempt: int,
    record: Callable[[str, str], None],
    retry: Callable[[int], None],
) -> bool:
    """Make try number ``attempt`` at sending one e-mail, for every e-mail the product sends.

    The outcome is handed to ``record`` (``sent``, ``retrying`` or a final ``failed``, with the
    words to keep); after a transient failure below the bound, ``retry`` is given the delay in
    seconds and is expected to enqueue the next try (``mail_failure`` decides both). Returns
    whether it was sent."""
    try:
        send_mail(
            subject=subject,
            message=message,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[address],
        )
    except MAIL_ERRORS as exc:
        logger.warning("could not e-mail %s (attempt %s): %s", what, attempt, exc)
        failure = mail_failure(attempt=attempt, exc=exc)
        if failure.retry_in is None:
            record(DeliveryOutcome.FAILED, failure.detail)
        else:
            record(DeliveryOutcome.RETRYING, failure.detail)
            retry(failure.retry_in)
        return False
    record(DeliveryOutcome.SENT, f"To {address}.")
    return True


def _email_outcome(notification: Notification, outcome: str, detail: str, attempt: int = 0) -> None:
    NotificationDelivery.objects.create(
        notification=notification,
        channel=Channel.EMAIL,
        outcome=outcome,
        detail=detail,
        attempt=attempt,
        language=translation.get_language() or "",
    )


def mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, membership: Membership) -> int:
    return Notification.objects.for_recipient(membership).unread().update(read_at=timezone.now())


def save_preferences(*, membership: Membership, choices: Mapping[str, Choice]) -> dict[str, Choice]:
    """Store ``membership``'s choices. Turning a notice that is always shown off in the app is
    refused in words (nothing is saved then)."""
    refused = [
        str(NotificationKind(k).label)
        for k, c in choices.items()
        if k in ALWAYS_IN_APP and not c.in_app
    ]
    if refused:
        raise ServiceError(
            _(
                "These are always shown in the app, because they are about your own budget, a "
                "pause on your posting or your appeal, and you need to be able to find them: "
                "%(kinds)s. You can still turn their e-mail off."
            )
            % {"kinds": "; ".join(refused)}
        )
    unknown = set(choices) - set(NotificationKind.values)
    if unknown:
        raise ServiceError(_("Unknown kind of notification."))
    with transaction.atomic():
        for kind, choice in choices.items():
            NotificationPreference.objects.update_or_create(
                membership=membership,
                kind=kind,
                defaults={"in_app": choice.in_app, "email": choice.email},
            )
    return choices_for(membership)
