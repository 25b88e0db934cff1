"""What every outbound request shares: the error classification, the public-address check before
each request, and the signed POST to our webhook receivers. The forum's API client is
``integrations.discourse.client``.

Errors are classified for the retry policy (``integrations.retry``): a timeout, a connection
error, a 5xx or a 429 is *transient* (retry with backoff); any other 4xx is *permanent* (record
it and show it to the moderators; retrying would only repeat it).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from integrations.addresses import InternalAddressError, check_public_url

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "CommunitySRE/1.0"


class CallError(Exception):
    """An outbound request that did not succeed, said to be permanent or transient."""

    def __init__(self, message: str, *, status_code: int | None, permanent: bool) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.permanent = permanent


def is_transient_status(status_code: int) -> bool:
    return status_code >= 500 or status_code == 429


def error_for(response: httpx.Response) -> CallError:
    text = response.text[:200].strip()
    try:
        errors = response.json().get("errors")
        if isinstance(errors, list) and errors:
            text = "; ".join(str(e) for e in errors)[:200]
    except (ValueError, AttributeError):
        pass
    return CallError(
        f"HTTP {response.status_code}: {text or response.reason_phrase}",
        status_code=response.status_code,
        permanent=not is_transient_status(response.status_code),
    )


def refuse_internal(url: str) -> None:
    try:
        check_public_url(url)
    except InternalAddressError as exc:
        raise CallError(f"refused: {exc}", status_code=None, permanent=True) from None


def post_signed(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """POST an already-serialised, already-signed body; returns the status code or raises."""
    refuse_internal(url)
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            )
    except httpx.TimeoutException:
        raise CallError(
            "the receiver did not answer in time", status_code=None, permanent=False
        ) from None
    except httpx.HTTPError as exc:
        raise CallError(
            f"could not reach the receiver: {type(exc).__name__}", status_code=None, permanent=False
        ) from None
    if response.status_code >= 300:
        raise error_for(response)
    return response.status_code


def dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
