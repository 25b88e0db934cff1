"""Response headers that no built-in middleware sets."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def permissions_policy(denied: Iterable[str]) -> str:
    """``("camera", "usb")`` → ``camera=(), usb=()``: no origin may use these features."""
    return ", ".join(f"{feature}=()" for feature in denied)


class PermissionsPolicyMiddleware:
    """Sends ``Permissions-Policy`` denying ``settings.PERMISSIONS_POLICY_DENIED`` on every
    response (a view that sets its own header keeps it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = permissions_policy(settings.PERMISSIONS_POLICY_DENIED)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response
