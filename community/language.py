"""Which language a person reads: the one place that decides it, for pages, the API and notices.

In order: the person's own choice (``PersonalSettings.language``, set on their preferences page);
else, where the community allows it (``allow_browser_language``), the browser's
``Accept-Language`` when it names a language we have; else the community's default
(``default_language``); else English. Pages outside a community: the person's choice, else the
browser's, else English. The API answers a key in its community's language (or the browser's,
where allowed); a notice is written in its recipient's (:func:`language_for_membership`).

Both lookups are cached (a page pays no query for them once warm) and refreshed when a community
or a person's settings are saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from community.models import ApiKey, Community, Membership, Notification, PersonalSettings
from community.services import ServiceError

ENGLISH = "en"
CACHE_SECONDS = 300
_COMMUNITY_PATH = re.compile(r"^/c/(?P<slug>[-\w]+)/")
_NOT_FOUND = "-"


def supported_languages() -> tuple[str, ...]:
    return tuple(code for code, _name in settings.LANGUAGES)


def supported(code: str | None) -> str | None:
    """``code`` if we have it ("ko-KR" is "ko"), else None."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    languages = supported_languages()
    if code in languages:
        return code
    base = code.split("-", 1)[0]
    return base if base in languages else None


def browser_language(header: str) -> str | None:
    """The first language of an ``Accept-Language`` header that we have, by its weights
    ("en-US,en;q=0.5,ko;q=0.9" is "en"; "fr,ko;q=0.8" is "ko"); None when there is none."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and weight > 0:
            weighted.append((-weight, index, tag))
    for _weight, _index, tag in sorted(weighted):
        if (code := supported(tag)) is not None:
            return code
    return None


@dataclass(frozen=True)
class CommunityLanguage:
    default: str
    allow_browser: bool


def _database() -> str:
    # The cache may be shared (the broker's Redis) by installations or test runs with their own
    # databases, whose slugs and user ids collide: each keeps its own entries.
    return str(connection.settings_dict["NAME"])


def _community_key(slug: str) -> str:
    return f"language:{_database()}:community:{slug}"


def _person_key(user_id: int) -> str:
    return f"language:{_database()}:person:{user_id}"


def community_language(slug: str) -> CommunityLanguage | None:
    """The language settings of the community at ``slug`` (None: no such community)."""
    cached = cache.get(_community_key(slug))
    if cached == _NOT_FOUND:
        return None
    if cached is not None:
        return CommunityLanguage(default=cached[0], allow_browser=cached[1])
    row = (
        Community.objects.filter(slug=slug)
        .values_list("default_language", "allow_browser_language")
        .first()
    )
    cache.set(_community_key(slug), row if row is not None else _NOT_FOUND, CACHE_SECONDS)
    return CommunityLanguage(default=row[0], allow_browser=row[1]) if row is not None else None


def personal_language(user_id: int) -> str | None:
    """The language a person chose for themselves (None: they chose none)."""
    cached = cache.get(_person_key(user_id))
    if cached is None:
        cached = (
            PersonalSettings.objects.filter(user_id=user_id)
            .values_list("language", flat=True)
            .first()
            or ""
        )
        cache.set(_person_key(user_id), cached, CACHE_SECONDS)
    return supported(cached)


def resolve(
    *, personal: str | None, community: CommunityLanguage | None, accept_language: str
) -> str:
    """The rule itself (see the module's docstring)."""
    if personal:
        return personal
    browser = browser_language(accept_language)
    if community is None:
        return browser or ENGLISH
    if community.allow_browser and browser:
        return browser
    return supported(community.default) or ENGLISH


def language_for_request(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    personal = personal_language(user.pk) if user is not None and user.is_authenticated else None
    match = _COMMUNITY_PATH.match(request.path)
    return resolve(
        personal=personal,
        community=community_language(match["slug"]) if match else None,
        accept_language=request.headers.get("Accept-Language", ""),
    )


def language_for_key(key: ApiKey, request: HttpRequest) -> str:
    """The language the API answers ``key`` in: its community's (or the browser's, where the
    community allows it)."""
    community = key.community
    return resolve(
        personal=None,
        community=CommunityLanguage(community.default_language, community.allow_browser_language),
        accept_language=request.headers.get("Accept-Language", ""),
    )


def in_community_language(community: Community, words: Callable[[], object]) -> str:
    """Words the system stores for people (a reason, a finding, a report line), written once in
    the community's default language at the time they are stored. They stay as written when the
    default changes later; the community's own words (titles, texts) are never passed here."""
    with translation.override(community.default_language or settings.LANGUAGE_CODE):
        return str(words())


def language_for_membership(membership: Membership) -> str:
    """The language a notice to ``membership`` is written in: the person's own choice, else
    their community's default (a notice has no browser to ask)."""
    personal = personal_language(membership.user_id) if membership.user_id else None
    return personal or supported(membership.community.default_language) or ENGLISH


def choose_language(*, user_id: int, language: str) -> PersonalSettings:
    """Store the language a person chose for themselves ("" : none, follow the community)."""
    if language and supported(language) != language:
        raise ServiceError(_("Choose one of the languages offered."))
    chosen, _created = PersonalSettings.objects.update_or_create(
        user_id=user_id, defaults={"language": language}
    )
    return chosen


def set_community_language(
    *, community: Community, default_language: str, allow_browser_language: bool
) -> Community:
    """A moderator sets the language of members who chose none, and whether visitors' browsers
    may choose theirs."""
    if supported(default_language) != default_language:
        raise ServiceError(_("Choose one of the languages offered."))
    community.default_language = default_language
    community.allow_browser_language = allow_browser_language
    # The post_save receiver (``connect``) refreshes the cached entry.
    community.save(update_fields=["default_language", "allow_browser_language"])
    return community


def languages_for(*, community: Community, users: Mapping[int, int | None]) -> dict[int, str]:
    """The language of each membership (pk -> its user's pk, or None for a forum-only member)
    of ``community``, in one query: each person's own choice, else the community's default."""
    chosen = dict(
        PersonalSettings.objects.filter(
            user_id__in=[user for user in users.values() if user is not None]
        )
        .exclude(language="")
        .values_list("user_id", "language")
    )
    default = supported(community.default_language) or ENGLISH
    return {
        membership: supported(chosen.get(user)) or default if user is not None else default
        for membership, user in users.items()
    }


def language_of_notification(notification: Notification) -> str:
    """The language a notice was written in (its deliveries record it), for its e-mail copy."""
    recorded = (
        notification.deliveries.exclude(language="").values_list("language", flat=True).first()
    )
    return supported(recorded) or language_for_membership(notification.recipient)


class LanguageMiddleware:
    """Activates the request's language for the whole request (views, forms, templates,
    error pages) and says which one it was (``Content-Language``, ``Vary``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for_request(request)
        request.LANGUAGE_CODE = language
        with translation.override(language):
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", translation.get_language())
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


def _community_saved(sender: type[Community], instance: Community, **kwargs: Any) -> None:
    cache.set(
        _community_key(instance.slug),
        (instance.default_language, instance.allow_browser_language),
        CACHE_SECONDS,
    )


def _settings_saved(
    sender: type[PersonalSettings], instance: PersonalSettings, **kwargs: Any
) -> None:
    cache.set(_person_key(instance.user_id), instance.language, CACHE_SECONDS)


def _user_saved(sender: type[Any], instance: Any, created: bool = False, **kwargs: Any) -> None:
    if created:  # a new person has chosen nothing yet: no query to find that out
        cache.set(_person_key(instance.pk), "", CACHE_SECONDS)


def connect() -> None:
    post_save.connect(_community_saved, sender=Community, dispatch_uid="language-community")
    post_save.connect(_settings_saved, sender=PersonalSettings, dispatch_uid="language-person")
    post_save.connect(_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="language-user")
