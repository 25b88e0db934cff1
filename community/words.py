"""Stored identifiers and numbers in the words people read: the one place for them.

Every page, notification and email that shows a stored identifier (a tier action such as
``private_nudge``, a flag category such as ``off_topic``, an alert rule such as ``page_slow``, an
event kind, a domain event type, a forum post id such as ``post-4437``) or a number (a ratio, a
burn rate, a count of points) says it through a function here; templates reach the same functions
through the ``words`` template library (``community/templatetags/words.py``). Where a model field
has choices, its ``TextChoices`` label is the words, and ``get_FOO_display()`` is used directly.

The sentences go through ``gettext``/``ngettext``, so that a translation can follow without
touching a template: plurals are never made by adding an English "s".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from community.models.spine import DomainEventType
from community.vocabulary import EventKind

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from community.models import ClauseAlert, Community

# --- Identifiers --------------------------------------------------------------------------------

# The humane actions a member's budget tier can ask for (``budgets.budget_math.Action``).
TIER_ACTION_WORDS: dict[str, _StrPromise] = {
    "private_nudge": gettext_lazy("a private, calm note to the member"),
    "notify_moderators": gettext_lazy("let the moderators know"),
    "facilitator_checkin": gettext_lazy("suggest a facilitator check-in"),
    "member_cooldown": gettext_lazy("a timed cooldown for the member"),
}

# Flag categories, as a moderator or member reads them ("flagged as off topic").
FLAG_CATEGORY_WORDS: dict[str, _StrPromise] = {
    "off_topic": gettext_lazy("off topic"),
    "inappropriate": gettext_lazy("inappropriate"),
    "spam": gettext_lazy("spam"),
    "illegal": gettext_lazy("illegal"),
    "notify_user": gettext_lazy("a private word with the member"),
    "notify_moderators": gettext_lazy("something else, for the moderators"),
    "custom": gettext_lazy("another reason"),
}

# The default burn-rate alert rules (``community.contract.slo.DEFAULT_ALERT_RULES``); a rule a
# moderator names otherwise is said with its underscores as spaces.
ALERT_RULE_WORDS: dict[str, _StrPromise] = {
    "page_fast": gettext_lazy("fast burn"),
    "page_slow": gettext_lazy("slow burn"),
    "ticket": gettext_lazy("steady leak"),
}

# Event kinds as nouns, singular and plural ("1 upheld flag", "3 upheld flags").
EVENT_KIND_NOUNS: dict[str, Any] = {
    EventKind.POST: ngettext_lazy("post", "posts"),
    EventKind.FLAG_RAISED: ngettext_lazy("raised flag", "raised flags"),
    EventKind.FLAG_UPHELD: ngettext_lazy("upheld flag", "upheld flags"),
    EventKind.FLAG_REJECTED: ngettext_lazy("rejected flag", "rejected flags"),
    EventKind.MODERATOR_WARNING: ngettext_lazy("moderator warning", "moderator warnings"),
    EventKind.POST_REMOVED: ngettext_lazy("removed post", "removed posts"),
    EventKind.USER_SUSPENDED: ngettext_lazy("suspension", "suspensions"),
    EventKind.USER_UNSUSPENDED: ngettext_lazy("lifted suspension", "lifted suspensions"),
}

_POST_ID = re.compile(r"^(?:post|p)[-:/](\d+)$")
_TOPIC_ID = re.compile(r"^(?:topic|t)[-:/](\d+)$")
_RAW_POST_IN_TEXT = re.compile(r"\b(?:post|p)[-:](\d+)\b")


def humanize(identifier: str) -> str:
    """An identifier nobody mapped yet, readable anyway: ``some_thing.done`` → "some thing done"."""
    return re.sub(r"[_.]+", " ", str(identifier)).strip()


def tier_action(name: str) -> str:
    return str(TIER_ACTION_WORDS.get(name) or humanize(name))


def flag_category(category: str) -> str:
    """A flag category (``off_topic``) in words (``off topic``); unknown ones readable too."""
    return str(FLAG_CATEGORY_WORDS.get(category) or humanize(category))


def flag_categories(categories: list[str] | tuple[str, ...]) -> str:
    return ", ".join(flag_category(c) for c in categories)


def category_identifier(words: str) -> str:
    """Back from what a moderator typed ("off topic" or ``off_topic``) to the stored category."""
    text = " ".join(words.split()).lower()
    for identifier, said in FLAG_CATEGORY_WORDS.items():
        if text in (identifier, str(said).lower()):
            return identifier
    return text.replace(" ", "_")


def alert_rule(name: str) -> str:
    return str(ALERT_RULE_WORDS.get(name) or humanize(name))


def alert_rule_token(name: str) -> str:
    """A rule's name as one word for the editor's rule lines (``page_fast`` → "fast-burn")."""
    said = ALERT_RULE_WORDS.get(name)
    return str(said).replace(" ", "-") if said else name


def alert_rule_from_token(token: str) -> str:
    """Back from the editor's word to the stored name ("fast-burn" → ``page_fast``)."""
    for name, said in ALERT_RULE_WORDS.items():
        if token.lower() == str(said).replace(" ", "-"):
            return name
    return token


def event_kind(kind: str, count: int = 1) -> str:
    """An event kind as a noun: ``flag_upheld`` → "upheld flag" (or "upheld flags")."""
    noun = EVENT_KIND_NOUNS.get(kind)
    return humanize(kind) if noun is None else str(noun % count)


def domain_event_type(value: str) -> str:
    """A domain event type (``budget.tier_changed``) as its label."""
    if value == "*":
        return _("every event")
    labels = dict(DomainEventType.choices)
    return str(labels.get(value) or humanize(value))


def identifier(value: str) -> str:
    """Any stored identifier in words, whatever table it belongs to."""
    for table in (TIER_ACTION_WORDS, FLAG_CATEGORY_WORDS, ALERT_RULE_WORDS):
        if value in table:
            return str(table[value])
    if value in EVENT_KIND_NOUNS:
        return event_kind(value)
    return domain_event_type(value)


# --- Forum posts ----------------------------------------------------------------------------------

# The forum adapter (``integrations``, which the spine never imports) registers how to find a
# community's forum address; without one, posts are "a post".
_forum_base: list[Callable[[Community], str]] = []


def register_forum_base(provider: Callable[[Community], str]) -> None:
    _forum_base[:] = [provider]


def forum_base(community: Community | None) -> str:
    if community is None or not _forum_base:
        return ""
    cached = getattr(community, "_forum_base_url", None)
    if cached is None:
        cached = _forum_base[0](community).rstrip("/")
        community._forum_base_url = cached  # type: ignore[attr-defined]
    return str(cached)


def post_number(subject: str) -> str | None:
    match = _POST_ID.match(subject or "")
    return match[1] if match else None


def post_words(subject: str) -> str:
    """``post-4437`` → "post 4437"; anything else a forum sent → "a post"."""
    number = post_number(subject)
    if number is not None:
        return _("post %(number)s") % {"number": number}
    topic = _TOPIC_ID.match(subject or "")
    if topic:
        return _("topic %(number)s") % {"number": topic[1]}
    return _("a post")


def unlinked_post() -> str:
    """A post where no forum address can take a reader to it: its number alone would help
    nobody, so it is "a post"."""
    return _("a post")


def post_url(subject: str, community: Community | None) -> str:
    """The forum address of a post (Discourse's ``/p/<id>``), or "" where there is none."""
    number = post_number(subject)
    base = forum_base(community)
    return f"{base}/p/{number}" if number and base else ""


def without_post_ids(text: str) -> str:
    """Text recorded before posts were put in words (``… on post-4437 …``), said plainly."""
    return _RAW_POST_IN_TEXT.sub(lambda m: _("post %(number)s") % {"number": m[1]}, text)


# --- Numbers ------------------------------------------------------------------------------------


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def rounded(value: object, places: int = 1) -> str:
    """A number as people write it: at most ``places`` decimals, none when they are zeros."""
    number = _decimal(value)
    if number is None:
        return ""
    step = Decimal(1).scaleb(-places)
    text = format(number.quantize(step, rounding=ROUND_HALF_UP), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(ratio: object, places: int = 1) -> str:
    """A ratio (0.98) as a percentage ("98 %"); 0.995 is "99.5 %"."""
    number = _decimal(ratio)
    if number is None:
        return ""
    return _("%(number)s %%") % {"number": rounded(number * 100, places)}


def points(value: object) -> str:
    """Budget points with the right plural: "1 point", "2.5 points", "0 points"."""
    number = _decimal(value) or Decimal(0)
    text = rounded(number)
    count = 1 if number == 1 else 2
    return ngettext("%(number)s point", "%(number)s points", count) % {"number": text}


def counted(count: int, singular: str, plural: str) -> str:
    """ "1 bad event", "3 bad events": the words for one and for many are given whole."""
    return ngettext(singular, plural, count) % {"count": count}


def duration(hours: Decimal) -> str:
    """A stretch of time in the largest whole unit people use for it."""
    if hours < 1:
        return _("less than an hour")
    if hours < 48:
        whole = int(hours.to_integral_value(rounding=ROUND_HALF_UP))
        return ngettext("%(count)s hour", "%(count)s hours", whole) % {"count": whole}
    days = int((hours / 24).to_integral_value(rounding=ROUND_HALF_UP))
    return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}


def minutes(count: int) -> str:
    """A window's length in words: "5 minutes", "1 hour", "3 days"."""
    if count % (24 * 60) == 0:
        days = count // (24 * 60)
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    if count % 60 == 0:
        hours = count // 60
        return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    return ngettext("%(count)s minute", "%(count)s minutes", count) % {"count": count}


def window_words(window_days: int) -> str:
    if window_days == 30:
        return _("the month")
    if window_days == 7:
        return _("the week")
    return ngettext("the %(count)s day", "the %(count)s days", window_days) % {"count": window_days}


def burn_rate(rate: object, *, window_days: int, clause: bool = False) -> str:
    """A burn rate in words: how long the room for the window would last at this pace.

    A burn rate of 1 spends a whole window's room in exactly the window; 2 in half of it.
    ``clause`` names the room as the clause's. Each sentence is whole, so a translation can
    order its words as its language does.
    """
    number = _decimal(rate)
    if number is None or number <= 0:
        return _("nothing is being used up at the moment")
    window = window_words(window_days)
    if number < 1:
        if clause:
            return _("well within budget: at this pace the clause's room for %(window)s lasts") % {
                "window": window
            }
        return _("well within budget: at this pace the room for %(window)s lasts") % {
            "window": window
        }
    time = duration(Decimal(window_days) * 24 / number)
    if clause:
        return _("at this pace the clause's room for %(window)s would be gone in %(time)s") % {
            "window": window,
            "time": time,
        }
    return _("at this pace the room for %(window)s would be gone in %(time)s") % {
        "window": window,
        "time": time,
    }


def clause_burn_rate(rate: object, window_days: int) -> str:
    return burn_rate(rate, window_days=window_days, clause=True)


def bad_of_total(bad: int, total: int) -> str:
    """ "3 of 40 events were bad", "1 of 1 event was bad"."""
    return ngettext(
        "%(bad)s of %(total)s event was bad", "%(bad)s of %(total)s events were bad", total
    ) % {"bad": bad, "total": total}


def alert_summary(
    *,
    rule: str,
    burn_long: object,
    burn_short: object,
    threshold: object,
    long_minutes: int,
    short_minutes: int,
    bad: int,
    total: int,
    window_days: int,
) -> str:
    """An alert's numbers as one sentence: what was bad, how long the room would last at this
    pace, and the rounded factors beside it."""
    return _(
        "%(bad_of_total)s in the last %(long)s: %(pace)s (%(factor)s the steady pace, "
        "%(short_factor)s over the last %(short)s; the %(rule)s alert starts at %(threshold)s)."
    ) % {
        "bad_of_total": bad_of_total(bad, total),
        "long": minutes(long_minutes),
        "short": minutes(short_minutes),
        "pace": clause_burn_rate(burn_long, window_days),
        "factor": burn_factor(burn_long),
        "short_factor": burn_factor(burn_short),
        "rule": alert_rule(rule),
        "threshold": burn_factor(threshold),
    }


def clause_alert_summary(alert: ClauseAlert, window_days: int | None = None) -> str:
    """A stored ``ClauseAlert``'s numbers in one sentence (``alert_summary``); the clause's
    window unless the caller already has the definition the alert was evaluated with."""
    return alert_summary(
        rule=alert.rule,
        burn_long=alert.burn_rate_long,
        burn_short=alert.burn_rate_short,
        threshold=alert.threshold,
        long_minutes=alert.long_minutes,
        short_minutes=alert.short_minutes,
        bad=alert.bad_long,
        total=alert.total_long,
        window_days=alert.clause.window_days if window_days is None else window_days,
    )


def burn_factor(rate: object) -> str:
    """A burn rate as a rounded factor ("2.6 times"), for beside the words."""
    return _("%(number)s times") % {"number": rounded(rate)}


# --- Parsing what people type ---------------------------------------------------------------------

TARGET_REFUSED = gettext_lazy(
    "A target is a percentage above 0 and below 100, such as 98 or 99.5 %."
)


def parse_percent(text: str) -> Decimal:
    """ "98", "98 %" or "99.5" → the ratio (0.98); anything else, or 0 or 100, is refused."""
    cleaned = str(text).strip().rstrip("%").strip().replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(str(TARGET_REFUSED)) from None
    if not number.is_finite() or not Decimal(0) < number < Decimal(100):
        raise ValueError(str(TARGET_REFUSED))
    ratio = number / 100
    if ratio != ratio.quantize(Decimal("0.000001")):
        raise ValueError(_("A target has at most four decimals, such as 99.9999 %."))
    return ratio
