"""Request types for views: what the middleware stack adds, so type checking sees it."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: User | AnonymousUser


class AuthedHttpRequest(HtmxHttpRequest):
    """A request that passed ``login_required``."""

    user: User
