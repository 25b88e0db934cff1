"""Rate limits for the web forms people can abuse: logging in, password resets, appeals, reports.

Counters live in Django's cache (Redis in production, so a limit holds across every web worker).
Each limit is a fixed window: ``5/15m`` allows five hits per quarter hour, counted in windows
that start on the quarter hour; the refusal says when the current window ends.

Login counts only *failed* attempts (Django's ``user_login_failed`` signal), per account and per
client address; once either is over its limit every attempt is refused until the window ends,
the right password included, so guessing gains nothing. The other forms count every POST.
Which URL names are limited, and by what, is the table ``FORM_LIMITS`` below: views stay free of
throttling code.

The API uses DRF's throttles (``ApiKeyRateThrottle``, ``AnonymousRateThrottle``) with the same
rates, the same rate syntax and the same client address. A key acts for its community, so each key
has its own allowance (another key of the same community is unaffected); requests without a key
(the schema and the docs) are counted per client address under the stricter ``api_anon`` scope.
A refusal there is DRF's JSON 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django_htmx.http import reswap, retarget
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from community.models import ApiKey
from config.rates import Rate

if TYPE_CHECKING:  # rest_framework.views loads the throttle classes from this module
    from rest_framework.views import APIView


def rate_for(scope: str) -> Rate:
    """The configured rate of ``scope``, read on every use so a settings change applies."""
    return Rate.parse(settings.THROTTLE_RATES[scope])


@dataclass(frozen=True)
class Refusal:
    scope: str
    retry_after: int  # whole seconds until the window ends, at least 1


class Limiter:
    """One scope's counters: ``hit`` counts, ``refusal`` tells whether the ident is over."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    def _window(self, ident: str) -> tuple[str, Rate, int]:
        rate = rate_for(self.scope)
        now = time.time()
        start = int(now // rate.seconds) * rate.seconds
        retry_after = max(1, math.ceil(start + rate.seconds - now))
        return f"throttle:{self.scope}:{ident}:{start}", rate, retry_after

    def hit(self, ident: str) -> Refusal | None:
        """Count one hit; a refusal when this hit is over the limit."""
        key, rate, retry_after = self._window(ident)
        # add + incr is atomic in Redis, so concurrent workers never lose a hit.
        cache.add(key, 0, timeout=retry_after + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between the two calls: this hit starts a window
            cache.set(key, 1, timeout=retry_after + 1)
            count = 1
        return Refusal(self.scope, retry_after) if count > rate.limit else None

    def refusal(self, ident: str) -> Refusal | None:
        """A refusal when the ident has already used up this window (counts nothing)."""
        key, rate, retry_after = self._window(ident)
        count = cache.get(key, 0)
        return Refusal(self.scope, retry_after) if count >= rate.limit else None


def client_address(request: HttpRequest) -> str:
    """The client's address, by DRF's rule (``NUM_PROXIES`` trusted proxies in front)."""
    return BaseThrottle().get_ident(request) or "unknown"  # type: ignore[arg-type]


def _user_ident(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"address:{client_address(request)}"


def _address_ident(request: HttpRequest) -> str | None:
    return client_address(request)


def _email_ident(request: HttpRequest) -> str | None:
    email = request.POST.get("email", "").strip().lower()
    return email or None


def _account_ident(username: object) -> str | None:
    text = str(username or "").strip().lower()
    return text or None


@dataclass(frozen=True)
class FormLimit:
    scope: str
    ident: Callable[[HttpRequest], str | None]


# POSTs to these URL names are counted; any limit over its rate refuses the request.
FORM_LIMITS: dict[str, tuple[FormLimit, ...]] = {
    "password_reset": (
        FormLimit("password_reset", _address_ident),
        FormLimit("password_reset_email", _email_ident),
    ),
    "budgets:appeal": (FormLimit("appeal", _user_ident),),
    "incidents:status": (FormLimit("report", _user_ident),),
}
LOGIN_VIEWS = frozenset({"login", "admin:login"})
LOGIN_ACCOUNT = Limiter("login_account")
LOGIN_ADDRESS = Limiter("login_address")


@receiver(user_login_failed)
def count_failed_login(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is None:
        return
    account = _account_ident(credentials.get("username"))
    if account is not None:
        LOGIN_ACCOUNT.hit(account)
    LOGIN_ADDRESS.hit(client_address(request))


def _login_refusal(request: HttpRequest) -> Refusal | None:
    refusals = [LOGIN_ADDRESS.refusal(client_address(request))]
    account = _account_ident(request.POST.get("username"))
    if account is not None:
        refusals.append(LOGIN_ACCOUNT.refusal(account))
    return max((r for r in refusals if r), key=lambda r: r.retry_after, default=None)


def _form_refusal(request: HttpRequest, limits: tuple[FormLimit, ...]) -> Refusal | None:
    refusals = []
    for limit in limits:
        ident = limit.ident(request)
        if ident is not None:
            refusals.append(Limiter(limit.scope).hit(ident))
    return max((r for r in refusals if r), key=lambda r: r.retry_after, default=None)


def wait_in_words(seconds: int) -> str:
    if seconds < 90:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = math.ceil(minutes / 60)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def too_many_requests(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """The calm 429 page; for an htmx request just its message, swapped into the page's main."""
    context = {"wait": wait_in_words(refusal.retry_after), "scope": refusal.scope}
    htmx = bool(getattr(request, "htmx", False))
    template = "429.html#message" if htmx else "429.html"
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    if htmx:
        response = reswap(retarget(response, "#main"), "innerHTML")
    return response


class FormThrottleMiddleware:
    """Refuse form POSTs over their limit with a 429 before the view runs.

    Sits after the CSRF and authentication middleware: a forged cross-site POST is refused
    before it can count, and limits per person know who is signed in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: object, args: object, kwargs: object
    ) -> HttpResponse | None:
        if request.method != "POST" or request.resolver_match is None:
            return None
        name = request.resolver_match.view_name
        if name in LOGIN_VIEWS:
            refusal = _login_refusal(request)
        elif name in FORM_LIMITS:
            refusal = _form_refusal(request, FORM_LIMITS[name])
        else:
            return None
        return too_many_requests(request, refusal) if refusal is not None else None


# --- API (DRF) ------------------------------------------------------------------------------


class _ConfiguredRateThrottle(SimpleRateThrottle):
    """Rates from ``settings.THROTTLE_RATES`` at call time (DRF reads its own once, at import),
    written like the web limits."""

    scope: str

    def get_rate(self) -> str | None:
        return str(settings.THROTTLE_RATES[self.scope])

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        if rate is None:
            return (None, None)
        parsed = Rate.parse(rate)
        return (parsed.limit, parsed.seconds)


class ApiKeyRateThrottle(_ConfiguredRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class AnonymousRateThrottle(_ConfiguredRateThrottle):
    scope = "api_anon"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}
