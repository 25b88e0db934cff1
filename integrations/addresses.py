"""Outbound requests go only to public addresses.

Webhook receivers and forum addresses are typed in by moderators, so without a check a
community could make our workers call our own network (SSRF): the database, Redis, a cloud
metadata service. Addresses are checked when they are saved and again before every request,
because a name can resolve somewhere else later. Development and tests, which talk to local
fakes, allow private addresses with INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES (on when DEBUG is).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from community.services import ServiceError


class InternalAddressError(ValueError):
    """The URL points at a loopback, private, link-local or otherwise non-public address."""


def check_public_url(url: str, *, unresolvable_ok: bool = False) -> None:
    if settings.INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES:
        return
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise InternalAddressError("the address has no host")
    try:
        infos = socket.getaddrinfo(host, parts.port or None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        if unresolvable_ok:
            return
        raise InternalAddressError(f"{host} does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global:
            raise InternalAddressError(
                f"{host} resolves to {address}, which is not a public address"
            )


def require_public_address(url: str, what: str) -> None:
    """Refuse to save an address that points at a non-public network (a moderator's typo or an
    SSRF attempt); a name that does not resolve yet is allowed and checked before each request."""
    try:
        check_public_url(url, unresolvable_ok=True)
    except InternalAddressError as exc:
        raise ServiceError(f"The {what} address must be public: {exc}.") from None
